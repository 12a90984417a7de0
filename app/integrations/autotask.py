"""Autotask webhooks: signature check, delivery identity and the ticket fields inside.

A callout body looks like `{"Action": "Create|Update|Delete", "Guid", "EntityType": "Ticket",
"Id", "Fields": {...}, "EventTime", "SequenceNumber", "PersonID"}`; `Fields` holds only the
fields the webhook subscribes to (and those marked "always display"). The header
`X-Hook-Signature: sha1=<base64 HMAC-SHA1(SecretKey, body)>` signs the body as Autotask
serialised it before sending, in which `& < > ' " \\` +` and non-ASCII characters inside strings
are written `\\uXXXX`; the body on the wire may not be escaped that way, so a signature over
either form is accepted. A `Deactivated` notice is sent unsigned: it is recorded, never acted on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from app.integrations.events import PayloadError, TicketEvent, attributes, parse_time, text

SIGNATURE_HEADER = "x-hook-signature"
HEADERS_KEPT = (SIGNATURE_HEADER,)
FIELDS = frozenset({"queue", "ticketType", "issueType", "source"})
# Our mapping field -> the Autotask Ticket field that feeds it.
SOURCE_FIELDS = {"queue": "queueid", "ticketType": "tickettype", "issueType": "issuetype", "source": "source"}
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


def parse(payload: dict) -> TicketEvent | None:
    """The ticket of a callout; None for other entities (companies, contacts...)."""
    if str(payload.get("EntityType", "")).lower() != "ticket":
        return None
    external_id = text(payload.get("Id"), 200)
    if external_id is None:
        raise PayloadError("Autotask callout without an Id.")
    sequence = payload.get("SequenceNumber")
    if sequence is not None and not isinstance(sequence, int):
        raise PayloadError(f"Autotask SequenceNumber is not a number: {sequence!r}.")
    updated_at = parse_time(payload.get("EventTime"), "EventTime")
    if str(payload.get("Action", "")).lower() == "delete":
        return TicketEvent(external_id, updated_at=updated_at, sequence=sequence, deleted=True)
    fields = payload.get("Fields") or {}
    if not isinstance(fields, dict):
        raise PayloadError("Autotask callout Fields is not an object.")
    fields = {k.lower(): v for k, v in fields.items()}
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
