"""Recording audit events: called by every action that writes, inside its transaction."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.db.base import uuid7


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def snapshot(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict:
    """The column values of a mapped object, as JSON (for `before` / `after`)."""
    return {
        c.key: jsonable(getattr(obj, c.key))
        for c in obj.__mapper__.column_attrs
        if c.key not in exclude and c.key not in ("created_at", "updated_at")
    }


async def record(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID | Iterable[uuid.UUID],
    action: str,
    object_type: str,
    object_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """One audit event, or (for a practice-level change) one per tenant it affects, in one INSERT.

    Audit events belong to tenants, so a change above tenancy (weights, an API key, an admin) is
    recorded in the history of every tenant it reaches.
    """
    tenant_ids = [tenant_id] if isinstance(tenant_id, uuid.UUID) else sorted(set(tenant_id))
    if not tenant_ids:
        return
    common = {
        "actor_type": actor.kind,
        "actor_id": actor.id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "before": before,
        "after": after,
    }
    await session.execute(insert(AuditEvent), [{"tenant_id": t, "id": uuid7(), **common} for t in tenant_ids])
