"""Seed data: the demo practice `fcio dev` loads, and synthetic practices of any size for benchmarks."""
