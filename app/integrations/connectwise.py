"""ConnectWise PSA callbacks: signature check, delivery identity and the ticket or configuration inside.

A callback body looks like `{"MessageId", "Action": "added|updated|deleted", "Type": "ticket",
"ID", "Entity": "<the ticket as a JSON string>", "Metadata": {"key_url": ...}, ...}`; a
configuration callback (`"Type": "configuration"`) carries the company configuration the same way
(`name`, `type`, `status`, `manufacturer`, `modelNumber`, `serialNumber`, `purchaseDate`,
`installationDate`, `warrantyExpirationDate`, `activeFlag`, `_info.lastUpdated`). Its header
`x-content-signature` is base64(HMAC-SHA256(key=SHA-256(signing key), msg=raw body)), where the
signing key is what `Metadata.key_url` returns as `{"signing_key": ...}` (see keys.py for which
URLs we agree to fetch).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from app.integrations import keys
from app.integrations.events import (
    AssetEvent,
    PayloadError,
    TicketEvent,
    attributes,
    parse_date,
    parse_time,
    text,
)

SIGNATURE_HEADER = "x-content-signature"
HEADERS_KEPT = (SIGNATURE_HEADER,)
FIELDS = frozenset({"board", "type", "subType", "source"})
# A configuration's type and status (by name): what the asset mapping reads; the type's name
# decides the default kind (mapping.DEFAULT_KIND_NAMES).
ASSET_FIELDS = frozenset({"configurationType", "configurationStatus"})
ASSET_TYPE_FIELD = "configurationType"


def identity(payload: dict | None) -> str | None:
    message_id = (payload or {}).get("MessageId")
    return f"cw:{message_id}" if message_id not in (None, "") else None


def signature(signing_key: str, body: bytes) -> str:
    digest = hmac.new(hashlib.sha256(signing_key.encode()).digest(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def authenticate(
    body: bytes, headers: Mapping[str, str], payload: dict | None, secret: str | None, key_origins: list[str]
) -> bool:
    given = headers.get(SIGNATURE_HEADER, "")
    metadata = (payload or {}).get("Metadata")
    key_url = metadata.get("key_url") if isinstance(metadata, dict) else None
    if not given or not isinstance(key_url, str):
        return False
    was_cached = keys.is_cached(key_url)
    key = await keys.signing_key(key_url, key_origins)
    if key is not None and hmac.compare_digest(signature(key, body).encode(), given.encode()):
        return True
    if key is None or not was_cached:
        return False
    fresh = await keys.signing_key(key_url, key_origins, fresh=True)
    return fresh is not None and hmac.compare_digest(signature(fresh, body).encode(), given.encode())


def _name(entity: dict, key: str) -> str | None:
    value = entity.get(key)
    return value.get("name") if isinstance(value, dict) else None


def parse(payload: dict) -> TicketEvent | AssetEvent | None:
    """The ticket or configuration of a callback; None for callbacks about anything else (companies, notes...)."""
    kind = str(payload.get("Type", "")).lower()
    if kind not in ("ticket", "configuration"):
        return None
    what = "a ticket" if kind == "ticket" else "a configuration"
    external_id = text(payload.get("ID"), 200)
    if external_id is None:
        raise PayloadError(f"ConnectWise callback without {what} ID.")
    deleted = str(payload.get("Action", "")).lower() == "deleted"
    if deleted:
        return TicketEvent(external_id, deleted=True) if kind == "ticket" else AssetEvent(external_id, deleted=True)
    entity = payload.get("Entity")
    try:
        entity = json.loads(entity) if isinstance(entity, str) else entity
    except ValueError:
        raise PayloadError("ConnectWise callback Entity is not JSON.") from None
    if not isinstance(entity, dict):
        raise PayloadError(f"ConnectWise callback without {what} in Entity.")
    info = entity.get("_info") if isinstance(entity.get("_info"), dict) else {}
    if kind == "configuration":
        return _configuration(external_id, entity, info)
    closed = entity.get("closedFlag") or entity.get("closedDate")
    return TicketEvent(
        external_id,
        values={
            "title": text(entity.get("summary"), 500),
            "status": text(_name(entity, "status"), 100),
            "priority": text(_name(entity, "priority"), 50),
            "opened_at": parse_time(entity.get("dateEntered") or info.get("dateEntered"), "dateEntered"),
            "closed_at": parse_time(entity.get("closedDate"), "closedDate") if closed else None,
        },
        attributes=attributes({key: _name(entity, key) for key in FIELDS}),
        updated_at=parse_time(info.get("lastUpdated"), "_info.lastUpdated"),
    )


def _configuration(external_id: str, entity: dict, info: dict) -> AssetEvent:
    active = entity.get("activeFlag")
    updated = parse_time(info.get("lastUpdated"), "_info.lastUpdated")
    return AssetEvent(
        external_id,
        values={
            "name": text(entity.get("name"), 200),
            "manufacturer": text(_name(entity, "manufacturer"), 200),
            "model": text(entity.get("modelNumber"), 200),
            "serial_number": text(entity.get("serialNumber"), 200),
            "purchased_on": parse_date(entity.get("purchaseDate") or entity.get("installationDate"), "purchaseDate"),
            "warranty_end": parse_date(entity.get("warrantyExpirationDate"), "warrantyExpirationDate"),
        },
        attributes=attributes({"configurationType": _name(entity, "type"), "configurationStatus": _name(entity, "status")}),
        active=active if isinstance(active, bool) else None,
        seen_on=updated.date() if updated else None,
    )
