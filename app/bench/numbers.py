"""How BENCHMARKS.md writes a figure and compares two: n/a where either is missing."""

from __future__ import annotations


def fmt(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def ratio(a, b) -> str:
    return "n/a" if not a or not b else f"{a / b:.2f}x"


def times(a, b) -> float | None:
    return a / b if a and b else None
