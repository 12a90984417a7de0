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


# --- asset events, shaped like each vendor's documented configuration / asset objects -------------


def _cw_signed(body: bytes, signing_key) -> dict:
    headers = dict(JSON)
    if signing_key is not None:
        key = hashlib.sha256(signing_key.encode()).digest()
        headers["x-content-signature"] = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    return headers


def connectwise_configuration(key_url: str, config_id=3301, type_name="Managed Workstation", action="updated",
                              active=True, purchased="2021-04-12T00:00:00Z", warranty="2024-04-12T00:00:00Z",
                              updated="2026-09-03T10:00:00Z", message_id=None, signing_key=None, name="ACME-WS-014"):
    """A ConnectWise PSA company configuration callback (`Type: configuration`), signed like a ticket one."""
    entity = {
        "id": config_id, "name": name, "type": {"id": 12, "name": type_name},
        "status": {"id": 1, "name": "Active" if active else "Inactive"}, "company": {"id": 250, "identifier": "ACME"},
        "manufacturer": {"id": 4, "name": "Dell"}, "modelNumber": "OptiPlex 7090", "serialNumber": "7XK2P13",
        "tagNumber": "A-0014", "purchaseDate": purchased, "installationDate": "2021-04-20T00:00:00Z",
        "warrantyExpirationDate": warranty, "activeFlag": active, "osType": "Windows 10 Pro",
        "_info": {"lastUpdated": updated, "updatedBy": "admin1"},
    }
    body = compact({
        "MessageId": message_id or str(uuid.uuid4()), "FromUrl": "na.myconnectwise.net", "CompanyId": "acme",
        "MemberId": "admin1", "Action": action, "Type": "configuration", "ID": config_id,
        "ProductInstanceId": "instance-1", "PartnerId": "partner-1", "Entity": json.dumps(entity),
        "Metadata": {"key_url": key_url}, "CallbackObjectRecId": 0,
    }).encode()
    return body, _cw_signed(body, signing_key)


def autotask_configuration_item(secret, item_id=29684001, sequence=1, action="Update", fields=None, guid=None):
    """An Autotask ConfigurationItems webhook callout: only the subscribed fields, picklists as ids."""
    obj = {
        "Action": action, "Guid": guid or "5f0d2c9a-77b1-4f0e-9e0c-3b1c2a9d8e71", "EntityType": "ConfigurationItem",
        "Id": item_id,
        "Fields": fields if fields is not None else {
            "ReferenceTitle": "Reception PC – Café", "SerialNumber": "CZC1234XYZ", "ConfigurationItemType": "2",
            "ConfigurationItemCategoryID": "101", "ProductID": "29682774", "InstallDate": "2022-01-17T00:00:00",
            "WarrantyExpirationDate": "2025-01-17T00:00:00", "IsActive": "true",
        },
        "EventTime": f"2026-09-02T10:{sequence:02d}:00Z", "SequenceNumber": sequence, "PersonID": 30691780,
    }
    body = compact(obj).encode()
    headers = dict(JSON)
    if secret is not None:
        digest = hmac.new(secret.encode(), autotask_escaped(obj).encode(), hashlib.sha1).digest()
        headers["X-Hook-Signature"] = "sha1=" + base64.b64encode(digest).decode()
    return body, headers


def halopsa_asset(password, asset_id=812, assettype="Laptop", event="Asset Updated", inactive=False,
                  timestamp="2026-09-04T12:00:00Z", warranty_end="2027-02-28T00:00:00"):
    """A HaloPSA asset webhook with HTTP Basic credentials (the asset object under `asset`)."""
    body = compact({
        "webhook_id": "2d4e6f80-2222-4b9c-8e7d-1a2b3c4d5e6f", "event": event, "object_id": asset_id,
        "timestamp": timestamp,
        "asset": {
            "id": asset_id, "inventory_number": "HALO-000812", "key_field": "FIN-LT-07", "key_field2": "PF3ABC12",
            "client_id": 14, "client_name": "Acme", "site_id": 20, "assettype_id": 7, "assettype_name": assettype,
            "manufacturer_name": "Lenovo", "item_name": "ThinkPad T14 Gen 3", "supplier_purchasedate": "2023-02-28T00:00:00",
            "warranty_start": "2023-02-28T00:00:00", "warranty_end": warranty_end, "inactive": inactive,
            "status_name": "In Use",
        },
    }).encode()
    headers = dict(JSON)
    if password is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"halo:{password}".encode()).decode()
    return body, headers
