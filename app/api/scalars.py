"""Custom scalars: `Month` ("2026-11"). Date, DateTime and Decimal are strawberry's own."""

from __future__ import annotations

import datetime as dt
from typing import NewType

import strawberry

from app.validation import parse_month

Month = strawberry.scalar(
    NewType("Month", dt.date),
    name="Month",
    description='A calendar month, written "YYYY-MM".',
    serialize=lambda d: f"{d.year:04d}-{d.month:02d}",
    parse_value=lambda v: parse_month(v) if isinstance(v, str) else parse_month(""),
)
