"""The vendor-neutral events every PSA module parses its payload into (tickets, assets), and parsing helpers.

A PSA sends either the whole ticket (ConnectWise, HaloPSA) or only some of its fields (Autotask
sends the subscribed fields that changed), so an event carries only what it knows: `values`
holds the ticket columns the payload stated (a stated `closed_at: None` means "reopened"), and
`attributes` the vendor fields the category mapping reads. Processing overlays an event on the
stored ticket, so a partial update never blanks what an earlier event said.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# A PSA writes "0001-01-01T00:00:00" (and similar) for "no date".
EARLIEST_REAL_DATE = dt.datetime(1970, 1, 2, tzinfo=dt.UTC)


class PayloadError(ValueError):
    """The body is not a ticket event we can read; the delivery fails with this message."""


@dataclass(frozen=True)
class TicketEvent:
    external_id: str
    values: dict[str, Any] = field(default_factory=dict)  # title, status, priority, opened_at, closed_at
    attributes: dict[str, str] = field(default_factory=dict)
    updated_at: dt.datetime | None = None  # the vendor's own update time: older events never win
    sequence: int | None = None  # the vendor's event sequence, where it has one
    deleted: bool = False


@dataclass(frozen=True)
class AssetEvent:
    """A configuration item / asset, as much of it as the payload stated (like a ticket event).

    `values` holds the asset columns stated (name, manufacturer, model, serial_number, purchased_on,
    warranty_end, end_of_support), `attributes` the vendor fields the kind mapping reads. `active`
    is the vendor's active flag when stated: an asset made inactive is retired on `seen_on` (the
    event's day; the PSAs send no retirement date), one made active again is in service again.
    """

    external_id: str
    values: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    active: bool | None = None
    seen_on: dt.date | None = None
    deleted: bool = False


def json_object(body: bytes) -> dict | None:
    """The body as a JSON object, or None (identity and verification must not fail on junk)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def body_identity(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def parse_time(value: Any, name: str) -> dt.datetime | None:
    """An ISO 8601 instant; PSAs omit the offset for UTC, and use year 1 for "none"."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise PayloadError(f"{name} is not a date and time: {value!r}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment if moment >= EARLIEST_REAL_DATE else None


def parse_date(value: Any, name: str) -> dt.date | None:
    """A day from an ISO 8601 date or instant (its UTC day); None for none or a PSA's year-1 "none"."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise PayloadError(f"{name} is not a date: {value!r}.") from None
        return day if day >= EARLIEST_REAL_DATE.date() else None
    moment = parse_time(value, name)
    return moment.astimezone(dt.UTC).date() if moment else None


def text(value: Any, max_length: int) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value[:max_length] or None


def attributes(pairs: dict[str, Any]) -> dict[str, str]:
    """The mapping fields that have a value, as strings (ids and names alike)."""
    return {k: str(v).strip() for k, v in pairs.items() if v not in (None, "")}
