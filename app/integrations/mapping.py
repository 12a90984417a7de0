"""From a PSA ticket's own fields (board, queue, ticket type, ...) to SUPPORT, CHANGE or ALERT.

An integration keeps an ordered list of rules and an optional default. A rule names, for one or
more vendor fields, the values it accepts; it matches when every field it names has one of
them (compared trimmed and case-insensitive: PSA admins rename "Alerts" to "ALERTS"). The first
matching rule wins; without a match the default applies, and with no default the ticket is not
counted at all: its delivery fails with a message saying what to add, and can be replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.errors import Invalid
from app.tickets.models import TicketCategory

MAX_RULES = 100
MAX_VALUES = 100


class MappingError(ValueError):
    """No rule matched and the integration has no default category."""


def _norm(value: Any) -> str:
    return str(value).strip().casefold()


def validate_rules(rules: Iterable[Mapping] | None, fields: Iterable[str]) -> list[dict]:
    """Rules as stored: `[{"when": {field: [values]}, "category": "ALERT"}]`, or `Invalid`."""
    known = sorted(fields)
    rules = list(rules or [])
    if len(rules) > MAX_RULES:
        raise Invalid(f"At most {MAX_RULES} mapping rules.", ["rules"])
    cleaned = []
    for index, rule in enumerate(rules):
        path = ["rules", str(index)]
        category = category_or_none(rule.get("category"), [*path, "category"])
        if category is None:
            raise Invalid("A rule needs a category: SUPPORT, CHANGE or ALERT.", [*path, "category"])
        when = rule.get("when") or {}
        if not when:
            raise Invalid("A rule needs at least one field to match.", [*path, "when"])
        condition = {}
        for field, values in when.items():
            if field not in known:
                raise Invalid(f"Unknown field {field!r}; this PSA's fields are {', '.join(known)}.", [*path, "when", field])
            values = [values] if isinstance(values, str) else list(values or [])
            if not values or len(values) > MAX_VALUES:
                raise Invalid(f"Give 1 to {MAX_VALUES} values for {field}.", [*path, "when", field])
            condition[field] = [str(v).strip() for v in values]
        cleaned.append({"when": condition, "category": category.value})
    return cleaned


def category_or_none(value: Any, field: list[str]) -> TicketCategory | None:
    if value is None:
        return None
    try:
        return TicketCategory(str(value).upper())
    except ValueError:
        raise Invalid("Category must be SUPPORT, CHANGE or ALERT.", field) from None


def categorize(rules: list[dict], default: str | None, attributes: Mapping[str, Any]) -> TicketCategory:
    """The category of a ticket with these vendor fields; `MappingError` when nothing applies."""
    present = {field: _norm(value) for field, value in attributes.items() if value is not None}
    for rule in rules:
        if all(present.get(field) in {_norm(v) for v in values} for field, values in rule["when"].items()):
            return TicketCategory(rule["category"])
    if default:
        return TicketCategory(default)
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(attributes.items())) or "no mapped fields"
    raise MappingError(f"No mapping rule matched ({shown}) and the integration has no default category.")
