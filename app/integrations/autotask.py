"""Autotask webhooks: signature check, delivery identity and the ticket or configuration-item fields inside.

A callout body looks like `{"Action": "Create|Update|Delete", "Guid", "EntityType": "Ticket",
"Id", "Fields": {...}, "EventTime", "SequenceNumber", "PersonID"}`; `Fields` holds only the
fields the webhook subscribes to (and those marked "always display"). The header
`X-Hook-Signature: sha1=<base64 HMAC-SHA1(SecretKey, body)>` signs the body as Autotask
serialised it before sending, in which `& < > ' " \\` +` and non-ASCII characters inside strings
are written `\\uXXXX`; the body on the wire may not be escaped that way, so a signature over
either form is accepted. A `Deactivated` notice is sent unsigned: it is recorded, never acted on.

A configuration-item webhook (`"EntityType": "ConfigurationItem"`) is the same callout over the
ConfigurationItems entity: `ReferenceTitle`, `SerialNumber`, `InstallDate` (read as the purchase:
the item is in service since), `WarrantyExpirationDate`, `IsActive`, and the picklist ids
`ConfigurationItemType`, `ConfigurationItemCategoryID` and `ProductID` the asset mapping reads.
Autotask sends those as ids, not names, so it has no default kinds: add rules, or assets take
the integration's default kind.
"""

from __future__ import annotations

import base64
import hashlib
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

SIGNATURE_HEADER = "x-hook-signature"
HEADERS_KEPT = (SIGNATURE_HEADER,)
FIELDS = frozenset({"queue", "ticketType", "issueType", "source"})
# Our mapping field -> the Autotask Ticket field that feeds it.
SOURCE_FIELDS = {"queue": "queueid", "ticketType": "tickettype", "issueType": "issuetype", "source": "source"}
ASSET_FIELDS = frozenset({"configurationItemType", "configurationItemCategoryID", "productID"})
ASSET_TYPE_FIELD = None  # picklist ids only (see the module's docstring)
ASSET_SOURCE_FIELDS = {name: name.lower() for name in ASSET_FIELDS}
ESCAPED = {"&", "<", ">", "'", '"', "`", "+"}


def identity(payload: dict | None) -> str | None:
    payload = payload or {}
    parts = [payload.get("Guid"), payload.get("Id"), payload.get("SequenceNumber")]
    return "at:" + ":".join(str(p) for p in parts) if all(p not in (None, "") for p in parts) else None


def is_notice(payload: dict | None) -> bool:
    """Autotask's unsigned "this webhook was deactivated" message."""
    return str((payload or {}).get("Action", "")).lower() == "deactivated"


def _unicode_escape(char: str) -> str:
    units = char.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))


def escaped_form(raw: str) -> str:
    """The body as Autotask signs it: special and non-ASCII characters in strings as `\\uXXXX`.

    Works on the raw text (never parse and re-serialise: that changes spacing and order); an
    already escaped quote `\\"` becomes `\\u0022`, other escapes are kept as they are.
    """
    out: list[str] = []
    in_string = escaped = False
    for char in raw:
        if escaped:
            if char == '"':
                out[-1] = "\\u0022"
            else:
                out.append(char)
            escaped = False
        elif char == "\\" and in_string:
            out.append(char)
            escaped = True
        elif char == '"':
            in_string = not in_string
            out.append(char)
        elif in_string and (char in ESCAPED or ord(char) > 127):
            out.append(_unicode_escape(char))
        else:
            out.append(char)
    return "".join(out)


def signature(secret: str, body: bytes) -> str:
    return "sha1=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


async def authenticate(
    body: bytes, headers: Mapping[str, str], payload: dict | None, secret: str | None, key_origins: list[str]
) -> bool:
    given = headers.get(SIGNATURE_HEADER, "").encode()
    if not given or not secret:
        return False
    if hmac.compare_digest(signature(secret, body).encode(), given):
        return True
    try:
        escaped = escaped_form(body.decode()).encode()
    except UnicodeDecodeError:
        return False
    return hmac.compare_digest(signature(secret, escaped).encode(), given)


def parse(payload: dict) -> TicketEvent | AssetEvent | None:
    """The ticket or configuration item of a callout; None for other entities (companies, contacts...)."""
    entity = str(payload.get("EntityType", "")).lower()
    if entity not in ("ticket", "configurationitem", "configurationitems"):
        return None
    external_id = text(payload.get("Id"), 200)
    if external_id is None:
        raise PayloadError("Autotask callout without an Id.")
    sequence = payload.get("SequenceNumber")
    if sequence is not None and not isinstance(sequence, int):
        raise PayloadError(f"Autotask SequenceNumber is not a number: {sequence!r}.")
    updated_at = parse_time(payload.get("EventTime"), "EventTime")
    deleted = str(payload.get("Action", "")).lower() == "delete"
    if deleted and entity != "ticket":
        return AssetEvent(external_id, deleted=True)
    if deleted:
        return TicketEvent(external_id, updated_at=updated_at, sequence=sequence, deleted=True)
    fields = payload.get("Fields") or {}
    if not isinstance(fields, dict):
        raise PayloadError("Autotask callout Fields is not an object.")
    fields = {k.lower(): v for k, v in fields.items()}
    if entity != "ticket":
        return _configuration_item(external_id, fields, updated_at)
    readers = {
        "title": lambda v: text(v, 500),
        "status": lambda v: text(v, 100),
        "priority": lambda v: text(v, 50),
        "opened_at": lambda v: parse_time(v, "CreateDate"),
        "closed_at": lambda v: parse_time(v, "CompletedDate"),
    }
    names = {"title": "title", "status": "status", "priority": "priority", "opened_at": "createdate", "closed_at": "completeddate"}
    return TicketEvent(
        external_id,
        values={column: readers[column](fields[name]) for column, name in names.items() if name in fields},
        attributes=attributes({ours: fields.get(theirs) for ours, theirs in SOURCE_FIELDS.items()}),
        updated_at=updated_at,
        sequence=sequence,
    )


def _configuration_item(external_id: str, fields: dict, updated_at) -> AssetEvent:
    """Only the fields the callout stated (Autotask sends the subscribed fields that changed)."""
    readers = {
        "name": ("referencetitle", lambda v: text(v, 200)),
        "serial_number": ("serialnumber", lambda v: text(v, 200)),
        "purchased_on": ("installdate", lambda v: parse_date(v, "InstallDate")),
        "warranty_end": ("warrantyexpirationdate", lambda v: parse_date(v, "WarrantyExpirationDate")),
    }
    active = fields.get("isactive")
    return AssetEvent(
        external_id,
        values={column: read(fields[name]) for column, (name, read) in readers.items() if name in fields},
        attributes=attributes({ours: fields.get(theirs) for ours, theirs in ASSET_SOURCE_FIELDS.items()}),
        active=str(active).lower() in ("true", "1") if active not in (None, "") else None,
        seen_on=updated_at.date() if updated_at else None,
    )
