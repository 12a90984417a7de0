"""The create / update / delete steps every tenant area shares: scope, version, audit.

Areas keep their own rules (what is valid, what follows a change) in their `actions.py` and use
these for the mechanics, so every write is checked and audited the same way.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.db import citus
from app.errors import NotFound
from app.guards import check_version, require_writer, visible_tenant

M = TypeVar("M")


def audit_name(model: type) -> str:
    """`BudgetLine` -> `budget_line`: the audit action prefix (`budget_line.update`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


async def create(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, obj: M) -> M:
    """Insert `obj` (already validated) into a tenant the actor may write."""
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    obj.tenant_id = tenant_id
    session.add(obj)
    await session.flush()
    await record(session, actor, tenant_id, f"{audit_name(type(obj))}.create", type(obj).__name__, obj.id, None, snapshot(obj))
    return obj


async def load(
    session: AsyncSession, actor: Principal, model: type[M], tenant_id: uuid.UUID, id: uuid.UUID, field: str = "id"
) -> M:
    """The object if the actor sees its tenant; NOT_FOUND on the input `field` otherwise (also for "not yours")."""
    obj = await session.get(model, (tenant_id, id)) if actor.sees(tenant_id) else None
    if obj is None:
        raise NotFound(f"{model.__name__} not found.", [field])
    return obj


async def update(
    session: AsyncSession,
    actor: Principal,
    model: type[M],
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> tuple[M, dict]:
    """Set every field in `changes` and audit; returns the object and its `before`.

    `changes` holds only the fields the caller gave, checked (`validation.checked`): a field left
    out keeps its value, a None clears it.
    """
    obj = await load(session, actor, model, tenant_id, id)
    require_writer(actor)
    check_version(obj, expected_version)
    before = snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    await session.flush()
    await record(session, actor, tenant_id, f"{audit_name(model)}.update", model.__name__, id, before, snapshot(obj))
    return obj, before


async def delete(
    session: AsyncSession, actor: Principal, model: type[M], tenant_id: uuid.UUID, id: uuid.UUID,
    expected_version: int | None = None,
) -> M:
    obj = await load(session, actor, model, tenant_id, id)
    require_writer(actor)
    check_version(obj, expected_version)
    before = snapshot(obj)
    if await citus.on_citus(session):
        await unlink(session, model, tenant_id, id)
    await session.delete(obj)
    await session.flush()
    await record(session, actor, tenant_id, f"{audit_name(model)}.delete", model.__name__, id, before, None)
    return obj


async def unlink(session: AsyncSession, model: type[M], tenant_id: uuid.UUID, id: uuid.UUID) -> None:
    """Clear the links to a row about to be deleted, as its foreign keys' `ON DELETE SET NULL (column)`
    do on one node: Citus keeps those keys without the action (app/db/citus.py `set_null_links`)."""
    for table, column in citus.set_null_links(model.__table__):
        t = model.metadata.tables[table]
        await session.execute(sa.update(t).where(t.c.tenant_id == tenant_id, t.c[column] == id).values({column: None}))
