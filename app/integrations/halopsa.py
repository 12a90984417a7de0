"""HaloPSA webhooks: Basic-auth check, delivery identity and the ticket or asset inside.

Halo does not sign payloads; its outbound webhook sends HTTP Basic credentials that we issue per
integration. Any username is accepted (Halo's form needs one); the password is the integration's
secret, compared in constant time. The body carries the ticket object (`id`, `summary`,
`tickettype_id`, `category_1..4`, `dateoccurred`, `datecleared`, `lastactiondate`, ...) either at
the top level or under `ticket`, beside the webhook's own `webhook_id`, `object_id` and `timestamp`.
An asset webhook carries the asset object (`id`, `inventory_number`, `key_field`, `key_field2`,
`assettype_id`, `assettype_name`, `manufacturer_name`, `supplier_purchasedate`, `warranty_end`,
`inactive`, ...) the same way, under `asset` or at the top level.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from app.integrations.events import (
    AssetEvent,
    PayloadError,
    TicketEvent,
    attributes,
    parse_date,
    parse_time,
    text,
)

AUTH_HEADER = "authorization"
# The credentials themselves are never stored with the delivery (see `redacted_headers` in actions).
HEADERS_KEPT = ()
FIELDS = frozenset({"tickettype", "tickettype_id", "category_1", "category_2", "category_3", "category_4"})
ASSET_FIELDS = frozenset({"assettype", "assettype_id"})
ASSET_TYPE_FIELD = "assettype"


def identity(payload: dict | None) -> str | None:
    payload = payload or {}
    ticket = _ticket(payload) or _asset(payload) or {}
    parts = [
        payload.get("webhook_id"),
        payload.get("object_id") or ticket.get("id"),
        payload.get("timestamp") or ticket.get("lastactiondate") or ticket.get("lastchangeofvaluedate"),
    ]
    return "halo:" + ":".join(str(p) for p in parts) if all(p not in (None, "") for p in parts) else None


def password(headers: Mapping[str, str]) -> str | None:
    scheme, _, encoded = headers.get(AUTH_HEADER, "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, separator, given = decoded.partition(":")
    return given if separator else None


async def authenticate(
    body: bytes, headers: Mapping[str, str], payload: dict | None, secret: str | None, key_origins: list[str]
) -> bool:
    given = password(headers)
    return bool(given and secret) and hmac.compare_digest(given.encode(), secret.encode())


def _ticket(payload: dict) -> dict | None:
    if isinstance(payload.get("ticket"), dict):
        return payload["ticket"]
    if "id" in payload and ("summary" in payload or "tickettype_id" in payload):
        return payload
    return None


def _asset(payload: dict) -> dict | None:
    if isinstance(payload.get("asset"), dict):
        return payload["asset"]
    if "id" in payload and ("assettype_id" in payload or "inventory_number" in payload):
        return payload
    return None


def _name(value) -> str | None:
    return value.get("name") if isinstance(value, dict) else value


def parse(payload: dict) -> TicketEvent | AssetEvent | None:
    """The ticket or asset of a webhook; None for events about anything else (clients, users...)."""
    ticket = _ticket(payload)
    if ticket is None:
        asset = _asset(payload)
        return _asset_event(payload, asset) if asset is not None else None
    external_id = text(ticket.get("id"), 200)
    if external_id is None:
        raise PayloadError("HaloPSA ticket without an id.")
    updated_at = parse_time(ticket.get("lastactiondate") or payload.get("timestamp"), "lastactiondate")
    if ticket.get("deleted") is True or str(payload.get("event", "")).lower().endswith("deleted"):
        return TicketEvent(external_id, updated_at=updated_at, deleted=True)
    tickettype = ticket.get("tickettype_name") or _name(ticket.get("tickettype"))
    return TicketEvent(
        external_id,
        values={
            "title": text(ticket.get("summary"), 500),
            "status": text(ticket.get("status_name") or ticket.get("status_id"), 100),
            "priority": text(_name(ticket.get("priority")) or ticket.get("priority_id"), 50),
            "opened_at": parse_time(ticket.get("dateoccurred"), "dateoccurred"),
            "closed_at": parse_time(ticket.get("datecleared"), "datecleared"),
        },
        attributes=attributes(
            {"tickettype": tickettype, "tickettype_id": ticket.get("tickettype_id")}
            | {f"category_{n}": ticket.get(f"category_{n}") for n in range(1, 5)}
        ),
        updated_at=updated_at,
    )


def _asset_event(payload: dict, asset: dict) -> AssetEvent:
    external_id = text(asset.get("id"), 200)
    if external_id is None:
        raise PayloadError("HaloPSA asset without an id.")
    if asset.get("deleted") is True or str(payload.get("event", "")).lower().endswith("deleted"):
        return AssetEvent(external_id, deleted=True)
    updated = parse_time(payload.get("timestamp"), "timestamp")
    inactive = asset.get("inactive")
    return AssetEvent(
        external_id,
        values={
            "name": text(asset.get("key_field") or asset.get("inventory_number"), 200),
            "manufacturer": text(asset.get("manufacturer_name"), 200),
            "model": text(asset.get("item_name"), 200),
            "serial_number": text(asset.get("key_field2"), 200),
            "purchased_on": parse_date(asset.get("supplier_purchasedate") or asset.get("warranty_start"),
                                       "supplier_purchasedate"),
            "warranty_end": parse_date(asset.get("warranty_end"), "warranty_end"),
        },
        attributes=attributes({"assettype": asset.get("assettype_name") or _name(asset.get("assettype")),
                               "assettype_id": asset.get("assettype_id")}),
        active=not inactive if isinstance(inactive, bool) else None,
        seen_on=updated.date() if updated else None,
    )
