"""Decisions the client signs: initiatives approved or declined, risks accepted until a date, notes; the register."""
