"""From a PSA ticket's own fields (board, queue, ticket type, ...) to SUPPORT, CHANGE or ALERT, and
from a configuration item's / asset's type to an AssetKind.

An integration keeps an ordered list of rules and an optional default. A rule names, for one or
more vendor fields, the values it accepts; it matches when every field it names has one of
them (compared trimmed and case-insensitive: PSA admins rename "Alerts" to "ALERTS"). The first
matching rule wins; without a match the default applies, and with no default the ticket is not
counted at all: its delivery fails with a message saying what to add, and can be replayed.

Assets follow the same rules (`{"when": {field: [values]}, "kind": "LAPTOP"}`), then the vendor's
defaults: where a PSA sends its type by name (ConnectWise, HaloPSA), the usual type names of
DEFAULT_KIND_NAMES map to their kind, so most assets need no rule at all; then the integration's
default kind (OTHER unless changed; none: the delivery fails, as for tickets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.errors import Invalid
from app.lifecycle.models import AssetKind
from app.tickets.models import TicketCategory

MAX_RULES = 100
MAX_VALUES = 100
DEFAULT_ASSET_KIND = AssetKind.OTHER.value
# Usual configuration / asset type names, matched like a rule's values (trimmed, any case).
DEFAULT_KIND_NAMES = {
    AssetKind.LAPTOP: ("Laptop", "Notebook", "Managed Laptop", "Laptops"),
    AssetKind.WORKSTATION: ("Workstation", "Desktop", "PC", "Managed Workstation", "Workstations", "Desktops"),
    AssetKind.SERVER: ("Server", "Managed Server", "Virtual Server", "Physical Server", "Servers", "Hypervisor"),
    AssetKind.NETWORK: ("Firewall", "Router", "Switch", "Access Point", "Wireless Access Point", "Network Device",
                        "Managed Network Device", "Network", "Firewalls", "Switches"),
    AssetKind.STORAGE: ("NAS", "SAN", "Storage", "Storage Device", "Backup Appliance"),
    AssetKind.MOBILE: ("Mobile Phone", "Mobile Device", "Smartphone", "Tablet", "Phone", "Mobile"),
    AssetKind.PRINTER: ("Printer", "Managed Printer", "Printers", "Multifunction Printer", "MFP"),
    AssetKind.SOFTWARE: ("Software", "Software Licence", "Software License", "Licence", "License", "Application"),
    AssetKind.CLOUD_SERVICE: ("Cloud Service", "SaaS", "Subscription", "Cloud Subscription", "Microsoft 365 Tenant"),
}


class MappingError(ValueError):
    """No rule matched and the integration has no default category."""


def _norm(value: Any) -> str:
    return str(value).strip().casefold()


def validate_rules(rules: Iterable[Mapping] | None, fields: Iterable[str]) -> list[dict]:
    """Rules as stored: `[{"when": {field: [values]}, "category": "ALERT"}]`, or `Invalid`."""
    return _validate(rules, fields, "rules", "category", category_or_none, "SUPPORT, CHANGE or ALERT")


def validate_asset_rules(rules: Iterable[Mapping] | None, fields: Iterable[str]) -> list[dict]:
    """Asset rules as stored: `[{"when": {field: [values]}, "kind": "LAPTOP"}]`, or `Invalid`."""
    return _validate(rules, fields, "assetRules", "kind", kind_or_none, ", ".join(k.value for k in AssetKind))


def _validate(rules, fields, name: str, outcome: str, parse, allowed: str) -> list[dict]:
    known = sorted(fields)
    rules = list(rules or [])
    if len(rules) > MAX_RULES:
        raise Invalid(f"At most {MAX_RULES} mapping rules.", [name])
    cleaned = []
    for index, rule in enumerate(rules):
        path = [name, str(index)]
        value = parse(rule.get(outcome), [*path, outcome])
        if value is None:
            raise Invalid(f"A rule needs a {outcome}: {allowed}.", [*path, outcome])
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
        cleaned.append({"when": condition, outcome: value.value})
    return cleaned


def category_or_none(value: Any, field: list[str]) -> TicketCategory | None:
    if value is None:
        return None
    try:
        return TicketCategory(str(value).upper())
    except ValueError:
        raise Invalid("Category must be SUPPORT, CHANGE or ALERT.", field) from None


def kind_or_none(value: Any, field: list[str]) -> AssetKind | None:
    if value is None:
        return None
    try:
        return AssetKind(str(value).upper())
    except ValueError:
        raise Invalid(f"Kind must be one of {', '.join(k.value for k in AssetKind)}.", field) from None


def default_asset_rules(type_field: str | None) -> list[dict]:
    """A vendor's built-in asset rules over the field that carries its type's name (none without one)."""
    if type_field is None:
        return []
    return [{"when": {type_field: list(names)}, "kind": kind.value} for kind, names in DEFAULT_KIND_NAMES.items()]


def _first_match(rules: list[dict], attributes: Mapping[str, Any]) -> dict | None:
    present = {field: _norm(value) for field, value in attributes.items() if value is not None}
    for rule in rules:
        if all(present.get(field) in {_norm(v) for v in values} for field, values in rule["when"].items()):
            return rule
    return None


def _unmatched(attributes: Mapping[str, Any], what: str) -> MappingError:
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(attributes.items())) or "no mapped fields"
    return MappingError(f"No mapping rule matched ({shown}) and the integration has no default {what}.")


def categorize(rules: list[dict], default: str | None, attributes: Mapping[str, Any]) -> TicketCategory:
    """The category of a ticket with these vendor fields; `MappingError` when nothing applies."""
    rule = _first_match(rules, attributes)
    if rule is not None:
        return TicketCategory(rule["category"])
    if default:
        return TicketCategory(default)
    raise _unmatched(attributes, "category")


def asset_kind(rules: list[dict], default: str | None, attributes: Mapping[str, Any]) -> AssetKind:
    """The kind of an asset with these vendor fields (`rules`: the integration's, then the vendor's defaults)."""
    rule = _first_match(rules, attributes)
    if rule is not None:
        return AssetKind(rule["kind"])
    if default:
        return AssetKind(default)
    raise _unmatched(attributes, "asset kind")
