"""Opaque Relay global ids.

A tenant-owned object's id carries its tenant (`Risk:<tenant>:<id>`), so a lookup hits the
primary key `(tenant_id, id)` and a foreign tenant is refused before any SQL; without its tenant
part it does not decode (no row has a null tenant, and a read keyed by one would name no shard of a
Citus cluster, whose planner then fails on the read's grouping). Anything that does not decode is
treated exactly like an id that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import NamedTuple

import strawberry

MAX_ID_LENGTH = 200
# Objects above tenancy: their ids never carry a tenant part (one that does is forged).
UNSCOPED_TYPES = frozenset({"Tenant", "User", "ApiKey", "Integration", "Standard"})


class Key(NamedTuple):
    type: str
    tenant_id: uuid.UUID | None
    id: uuid.UUID


def encode(type_name: str, id: uuid.UUID, tenant_id: uuid.UUID | None = None) -> strawberry.ID:
    raw = f"{type_name}:{tenant_id}:{id}" if tenant_id else f"{type_name}:{id}"
    return strawberry.ID(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))


def decode(value: str | None) -> Key | None:
    if not value or len(value) > MAX_ID_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        parts = raw.split(":")
        if len(parts) == 2 and parts[0] in UNSCOPED_TYPES:
            return Key(parts[0], None, uuid.UUID(parts[1]))
        if len(parts) == 3 and parts[0] not in UNSCOPED_TYPES:
            return Key(parts[0], uuid.UUID(parts[1]), uuid.UUID(parts[2]))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return None


def decode_as(value: str | None, type_name: str) -> Key | None:
    key = decode(value)
    return key if key and key.type == type_name else None
