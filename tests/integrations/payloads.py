"""Deliveries built the way each vendor builds them (own code, not the app's, so a bug is not mirrored)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid

JSON = {"Content-Type": "application/json"}


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def connectwise(key_url: str, ticket_id=101, board="Service Desk", updated="2026-09-03T10:00:00Z",
                entered="2026-09-01T08:00:00Z", closed=None, message_id=None, signing_key=None):
    """A ConnectWise PSA ticket callback; `x-content-signature` = b64 HMAC-SHA256(SHA-256(key), body)."""
    entity = {
        "id": ticket_id, "summary": "Printer on 2nd floor offline", "board": {"id": 1, "name": board},
        "status": {"id": 5, "name": "Closed" if closed else "New"}, "type": {"name": "Incident"},
        "subType": {"name": "Hardware"}, "source": {"name": "Email"}, "priority": {"name": "Priority 3"},
        "closedDate": closed, "closedFlag": bool(closed),
        "_info": {"dateEntered": entered, "lastUpdated": updated},
    }
    body = compact({
        "MessageId": message_id or str(uuid.uuid4()), "FromUrl": "na.myconnectwise.net", "CompanyId": "acme",
        "MemberId": "admin1", "Action": "updated", "Type": "ticket", "ID": ticket_id,
        "ProductInstanceId": "instance-1", "PartnerId": "partner-1", "Entity": json.dumps(entity),
        "Metadata": {"key_url": key_url}, "CallbackObjectRecId": 0,
    }).encode()
    headers = dict(JSON)
    if signing_key is not None:
        key = hashlib.sha256(signing_key.encode()).digest()
        headers["x-content-signature"] = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    return body, headers


def autotask_escaped(obj) -> str:
    """The form Autotask signs: .NET's default JSON escaping of & < > ' " ` + and non-ASCII."""
    text = json.dumps(obj, separators=(",", ":"))  # non-ASCII as \\uxxxx
    text = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), text)
    for char in "&<>'`+":
        text = text.replace(char, f"\\u{ord(char):04X}")
    return text.replace('\\"', "\\u0022")


def autotask(secret, ticket_id=7001, sequence=1, title="Café & printer <urgent>", queue="Monitoring Alert",
             created="2026-09-02T09:00:00", status="1", action="Update", sign_escaped=True, guid=None, fields=None,
             event_time=None):
    """An Autotask ticket callout signed `sha1=<b64 HMAC-SHA1>`, over the escaped form by default."""
    obj = {
        "Action": action, "Guid": guid or "a1da62a4-2c49-40a8-8183-69994ce5b3eb", "EntityType": "Ticket",
        "Id": ticket_id,
        "Fields": fields if fields is not None else {
            "Title": title, "QueueID": queue, "TicketType": "1", "IssueType": "12", "Source": "4",
            "Status": status, "CreateDate": created,
        },
        "EventTime": event_time or f"2026-09-02T09:{sequence:02d}:00Z", "SequenceNumber": sequence, "PersonID": 30691780,
    }
    body = compact(obj).encode()
    signed = autotask_escaped(obj).encode() if sign_escaped else body
    headers = dict(JSON)
    if secret is not None:
        digest = hmac.new(secret.encode(), signed, hashlib.sha1).digest()
        headers["X-Hook-Signature"] = "sha1=" + base64.b64encode(digest).decode()
    return body, headers


def halopsa(password, ticket_id=555, tickettype="Alert", lastaction="2026-09-04T11:00:00Z",
            occurred="2026-09-04T10:00:00.4214387Z", cleared="0001-01-01T00:00:00"):
    """A HaloPSA ticket webhook with HTTP Basic credentials."""
    body = compact({
        "webhook_id": "9b0c4c8e-1111-4a8e-9d5e-2f1c7d0f0a11", "event": "Ticket Updated", "object_id": ticket_id,
        "timestamp": lastaction,
        "ticket": {
            "id": ticket_id, "summary": "Disk space low on SRV01", "tickettype_id": 3, "tickettype_name": tickettype,
            "category_1": "Server", "status_id": 1, "priority_id": 2, "dateoccurred": occurred,
            "datecleared": cleared, "lastactiondate": lastaction,
        },
    }).encode()
    headers = dict(JSON)
    if password is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"halo:{password}".encode()).decode()
    return body, headers
