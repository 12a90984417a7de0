"""Field checks shared by every area's actions: trimmed bounded strings, money, months, ranges."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.errors import Invalid


def text(value: str | None, field: str, *, max_length: int = 200, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise Invalid(f"{field} is required.", [field])
        return None
    value = value.strip()
    if not value:
        if required:
            raise Invalid(f"{field} must not be empty.", [field])
        return None
    if len(value) > max_length:
        raise Invalid(f"{field} must be at most {max_length} characters.", [field])
    return value


def money(value: Decimal | str | None, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise Invalid(f"{field} must be a decimal amount such as 1234.50.", [field]) from None
    if not amount.is_finite():
        raise Invalid(f"{field} must be a finite amount.", [field])
    if amount < 0:
        raise Invalid(f"{field} must not be negative.", [field])
    if amount.as_tuple().exponent < -2:
        raise Invalid(f"{field} must have at most 2 decimals.", [field])
    if amount >= Decimal("1e12"):
        raise Invalid(f"{field} must be below 1,000,000,000,000.", [field])
    return amount


def int_range(value: int | None, field: str, low: int, high: int | None = None) -> int | None:
    if value is None:
        return None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise Invalid(f"{field} must be {bound}.", [field])
    return value


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "tenant"
