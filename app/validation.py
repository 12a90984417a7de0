"""Field checks shared by every area's actions: trimmed bounded strings, money, ranges (months: app/months.py).

Creates and updates check a field with the same function (`checked`). An update passes only the
fields the client gave (absent: not in the dict, left as it is; None: cleared), so the rule
"a required field cannot be cleared" is here too, read from the model's column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import inspect

from app.errors import Invalid, Limit


def field_name(attribute: str) -> str:
    """The input field an attribute comes from: `review_due` -> `reviewDue`."""
    head, *rest = attribute.split("_")
    return head + "".join(part.title() for part in rest)


def not_null(value: Any, field: str) -> Any:
    if value is None:
        raise Invalid(f"{field} is required.", [field])
    return value


def checked(model: type, checks: Mapping[str, Callable[[Any], Any] | None], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` (attribute names) through their checks (None: taken as given), ready to set on `model`.

    Every name must be in `checks`: those are the fields a caller may set. None clears a field;
    for a column that may not be null it is INVALID ("title is required."), in creates and updates alike.
    """
    unknown = set(values) - set(checks)
    if unknown:
        raise TypeError(f"{model.__name__} has no settable field {', '.join(sorted(unknown))}.")
    columns = inspect(model).columns
    clean = {}
    for name, value in values.items():
        check = checks[name]
        clean[name] = check(value) if check is not None else value
        if clean[name] is None and not columns[name].nullable:
            not_null(None, field_name(name))
    return clean


# One address, no display name: local@domain.tld, nothing that could end a header or add a recipient.
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\.]+")


def email(value: str | None, field: str = "email") -> str:
    """An address mail may be sent to, lower-cased; INVALID otherwise."""
    address = (value or "").strip().lower()
    if len(address) > 254 or not ADDRESS.fullmatch(address):
        raise Invalid(f"{field} must be an email address (name@example.com).", [field])
    return address


def text(value: str | None, field: str, *, max_length: int = 200, required: bool = True) -> str | None:
    if value is None:
        return not_null(value, field) if required else None
    value = value.strip()
    if not value:
        if required:
            raise Invalid(f"{field} must not be empty.", [field])
        return None
    if len(value) > max_length:
        raise Invalid(f"{field} must be at most {max_length} characters.", [field])
    return value


def texts(values: list[str] | None, field: str, limit: int, max_length: int) -> list[str]:
    """A list of trimmed non-empty strings; the field names the bad item (["decisions", "2"]). None is empty."""
    if values is None:
        return []
    if len(values) > limit:
        raise Limit(f"{field} takes at most {limit} entries.", [field])
    checked = []
    for index, value in enumerate(values):
        try:
            checked.append(text(value, field, max_length=max_length))
        except Invalid as error:
            raise Invalid(error.message, [field, str(index)]) from None
    return checked


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


def finite(value: float | None, field: str) -> float | None:
    """A measured figure (a KPI's value): any real number, not NaN or infinite."""
    if value is None:
        return None
    if not math.isfinite(value):
        raise Invalid(f"{field} must be a finite number.", [field])
    return float(value)


def int_range(value: int | None, field: str, low: int, high: int | None = None) -> int | None:
    if value is None:
        return None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise Invalid(f"{field} must be {bound}.", [field])
    return value


def slugify(name: str, fallback: str = "tenant") -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or fallback
