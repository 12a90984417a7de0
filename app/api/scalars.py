"""Custom scalars: `Month` ("2026-11"). Date, DateTime and Decimal are strawberry's own.

`Month` is a NewType of `datetime.date` (always the first of the month); its GraphQL definition
is registered in the schema's `scalar_map` (see `schema.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import NewType

import strawberry

from app.months import parse_month

Month = NewType("Month", dt.date)


def _parse(value: object) -> dt.date:
    return parse_month(value if isinstance(value, str) else "")


MONTH_SCALAR = strawberry.scalar(
    name="Month",
    description='A calendar month, written "YYYY-MM".',
    serialize=lambda d: f"{d.year:04d}-{d.month:02d}",
    parse_value=_parse,
)

SCALAR_MAP = {Month: MONTH_SCALAR}
