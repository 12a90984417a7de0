"""The tenant scope: the only way the app opens a transaction on tenant data.

The set of tenant ids is written with `set_config(..., true)`, local to the transaction, so it
can never leak to the next request on a pooled connection. An empty set matches no row: row-level
security fails closed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

from sqlalchemy import any_, bindparam, cast, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

SET_TENANTS = text("select set_config('app.tenant_ids', :ids, true)")


def tenant_array(tenant_ids: Iterable[uuid.UUID]) -> str:
    """PostgreSQL array literal for the setting; '' (no tenants) when the set is empty."""
    ids = sorted({str(t) for t in tenant_ids})
    return "{" + ",".join(ids) + "}" if ids else ""


@asynccontextmanager
async def tenant_session(
    sessionmaker: async_sessionmaker, tenant_ids: Iterable[uuid.UUID]
) -> AsyncIterator[AsyncSession]:
    """One session and one transaction that can see exactly `tenant_ids`; commits on success.

    Work registered with `after_commit` runs once the transaction has committed, never before
    and never after a rollback.
    """
    async with sessionmaker() as session:
        async with session.begin():
            await session.execute(SET_TENANTS, {"ids": tenant_array(tenant_ids)})
            yield session
        await run_after_commit(session)


def after_commit(session: AsyncSession, work: Callable[[], Awaitable[None]]) -> None:
    """Schedule `work` (e.g. enqueueing a job) for after this session's transaction commits."""
    session.info.setdefault("after_commit", []).append(work)


async def run_after_commit(session: AsyncSession) -> None:
    """Run the scheduled work; a failure is logged, not raised: the write has already landed.

    Every kind of after-commit work must have a repair path (e.g. the stale-health sweeper).
    """
    for work in session.info.pop("after_commit", []):
        try:
            await work()
        except Exception:
            log.exception("after-commit work failed; the sweeper will repair it")


async def set_tenants(session: AsyncSession, tenant_ids: Iterable[uuid.UUID]) -> None:
    """Narrow or widen an open transaction's scope (e.g. after a login resolved the principal)."""
    await session.execute(SET_TENANTS, {"ids": tenant_array(tenant_ids)})


def in_batch(column, ids: list[uuid.UUID]):
    """`column` is one of `ids` (one array parameter, whatever their number)."""
    return column == any_(bindparam("ids", ids, type_=ARRAY(UUID(as_uuid=True)), unique=True))


def in_scope(column):
    """The transaction's tenant scope applied to a table without row security (tenants)."""
    scope = func.nullif(func.current_setting("app.tenant_ids", True), "")
    return column == any_(cast(scope, ARRAY(UUID(as_uuid=True))))
