"""The tenant scope: the only way the app opens a transaction on tenant data.

The set of tenant ids is written with `set_config(..., true)`, local to the transaction, so it
can never leak to the next request on a pooled connection. An empty set matches no row: row-level
security fails closed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

SET_TENANTS = text("select set_config('app.tenant_ids', :ids, true)")


def tenant_array(tenant_ids: Iterable[uuid.UUID]) -> str:
    """PostgreSQL array literal for the setting; '' (no tenants) when the set is empty."""
    ids = sorted({str(t) for t in tenant_ids})
    return "{" + ",".join(ids) + "}" if ids else ""


@asynccontextmanager
async def tenant_session(
    sessionmaker: async_sessionmaker, tenant_ids: Iterable[uuid.UUID]
) -> AsyncIterator[AsyncSession]:
    """One session and one transaction that can see exactly `tenant_ids`; commits on success."""
    async with sessionmaker() as session, session.begin():
        await session.execute(SET_TENANTS, {"ids": tenant_array(tenant_ids)})
        yield session


async def set_tenants(session: AsyncSession, tenant_ids: Iterable[uuid.UUID]) -> None:
    """Narrow or widen an open transaction's scope (e.g. after a login resolved the principal)."""
    await session.execute(SET_TENANTS, {"ids": tenant_array(tenant_ids)})
