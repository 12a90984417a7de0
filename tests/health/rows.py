"""Test setup for areas whose actions do not exist yet: ORM rows added inside the tenant scope.

The models' constraints (and row-level security) still apply to every row written here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.auth.principal import Principal
from app.db import figures
from app.db.scope import tenant_session
from app.health.models import HealthScore, StaleHealthMonth
from app.tenants.models import Role, Tenant


async def add(sessionmaker, tenant_id: uuid.UUID, *rows) -> None:
    async with tenant_session(sessionmaker, [tenant_id]) as session:
        session.add_all(rows)


async def add_lines(sessionmaker, tenant_id: uuid.UUID, *lines) -> None:
    """Budget lines added as the app adds them: each budget's planned total moves with them at commit."""
    async with tenant_session(sessionmaker, [tenant_id]) as session:
        session.add_all(lines)
        for line in lines:
            figures.planned_changed(session, tenant_id, line.budget_id, line.planned)


async def change_tenant(sessionmaker, tenant_id: uuid.UUID, **fields) -> None:
    """E.g. an earlier `created_at` (history) or `status=OFFBOARDED` (no offboarding action yet)."""
    async with tenant_session(sessionmaker, [tenant_id]) as session:
        tenant = await session.get(Tenant, tenant_id)
        for name, value in fields.items():
            setattr(tenant, name, value)


async def stored_scores(sessionmaker, tenant_ids, month) -> dict[uuid.UUID, dict]:
    """The stored health rows of `month` for `tenant_ids`, each as a dict of its columns."""
    async with tenant_session(sessionmaker, tenant_ids) as session:
        rows = await session.scalars(
            select(HealthScore).where(HealthScore.tenant_id.in_(list(tenant_ids)), HealthScore.month == month)
        )
        return {row.tenant_id: {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs} for row in rows}


def without_computed_at(rows: dict[uuid.UUID, dict]) -> dict[uuid.UUID, dict]:
    return {tenant_id: {k: v for k, v in row.items() if k != "computed_at"} for tenant_id, row in rows.items()}


async def stale_marks(sessionmaker, tenant_ids) -> set[tuple[uuid.UUID, object]]:
    async with tenant_session(sessionmaker, tenant_ids) as session:
        return set((await session.execute(select(StaleHealthMonth.tenant_id, StaleHealthMonth.month))).all())


async def principal_of(world, practice, role=Role.PRACTICE_ADMIN, tenants=()) -> Principal:
    """A new user of `practice` as the API would see them (admins see every tenant)."""
    return await world.principal(await world.user(practice, role, tenants=tenants))
