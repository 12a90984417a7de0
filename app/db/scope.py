"""The tenant scope: the only way the app opens a transaction on tenant data.

A scope is a set of tenant ids (`app.tenant_ids`) and, for whoever sees a whole practice, that
practice (`app.practice_id`: its ACTIVE tenants, never listed, so a row costs row security one
probe whatever the practice's size). Both are written with `set_config(..., true)`, local to the
transaction, so neither can leak to the next request on a pooled connection. An empty scope
matches no row: row-level security fails closed.

On a Citus coordinator a `set_config` stays on the coordinator: the workers, which run the
shards' queries under the same policies, would see no setting and answer no rows. There the
scope is written with `SET LOCAL`, which Citus sends on to every worker connection of the
transaction (each connection asks for it at connect, app/db/engine.py). Same settings, same
transaction-local life; only the statement differs, chosen in `write_scope`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

from sqlalchemy import any_, bindparam, cast, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import citus

log = logging.getLogger(__name__)

SET_SCOPE = text("select set_config('app.tenant_ids', :ids, true), set_config('app.practice_id', :practice, true)")
# A column for the statement that opens a transaction about to run a statement whose plan does not
# depend on its values (the executive report's, ~180 subqueries: PostgreSQL took 8 ms to plan it for
# each execution's values, kept choosing that, and 3 to run it): it is planned once per connection,
# the driver keeping it prepared. Local to the transaction, like the scope. Not on a Citus
# coordinator (`run.generic_plans_here`): a generic plan of a read Citus must route by its
# parameters is refused there ("could not create distributed plan").
GENERIC_PLANS = func.set_config("plan_cache_mode", "force_generic_plan", True)


def tenant_array(tenant_ids: Iterable[uuid.UUID]) -> str:
    """PostgreSQL array literal for the setting; '' (no tenants) when the set is empty."""
    ids = sorted({str(t) for t in tenant_ids})
    return "{" + ",".join(ids) + "}" if ids else ""


def scope_values(tenant_ids: Iterable[uuid.UUID], practice_id: uuid.UUID | None = None) -> dict[str, str]:
    """The two settings of a scope, as `SET_SCOPE` takes them."""
    return {"ids": tenant_array(tenant_ids), "practice": str(practice_id) if practice_id else ""}


@asynccontextmanager
async def tenant_session(
    sessionmaker: async_sessionmaker, tenant_ids: Iterable[uuid.UUID], practice_id: uuid.UUID | None = None
) -> AsyncIterator[AsyncSession]:
    """One session and one transaction that can see exactly `tenant_ids` (and the ACTIVE tenants of
    `practice_id`, when given); commits on success.

    Rows held with `at_commit` are written just before the commit; work registered with
    `after_commit` runs once the transaction has committed, never before and never after a rollback.
    """
    async with sessionmaker() as session, transaction(session):
        await write_scope(session, scope_values(tenant_ids, practice_id))
        yield session


async def write_scope(session: AsyncSession, values: dict[str, str]) -> None:
    """Set the transaction's scope: one `set_config` statement, or on Citus a `SET LOCAL` per
    setting (a SET takes no parameters: the values are ids, quoted as literals)."""
    if not await citus.on_citus(session):
        await session.execute(SET_SCOPE, values)
        return
    for name, key in (("app.tenant_ids", "ids"), ("app.practice_id", "practice")):
        quoted = values[key].replace("'", "''")
        await session.execute(text(f"SET LOCAL {name} = '{quoted}'"))


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[None]:
    """BEGIN ... COMMIT on `session`: the rows held for commit are its last statements, and the
    after-commit work runs once it has committed (an exception rolls back and runs neither)."""
    async with session.begin():
        yield
        await write_at_commit(session)
    await run_after_commit(session)


# --- rows written at commit ------------------------------------------------------------------
# A row that many writers of one tenant update (e.g. a month's stale mark) stays locked from the
# statement that writes it to the commit: across every round trip the writer makes in between,
# so concurrent writers queue behind one that is idle in transaction. Held here instead, each kind
# is written by its writer in one statement, rows in key order, right before COMMIT: locked only
# while the transaction commits.

AtCommit = Callable[[AsyncSession, set], Awaitable[None]]


def at_commit(session: AsyncSession, writer: AtCommit, row) -> None:
    """Hold `row` for `writer(session, rows)`, which runs once, just before this transaction commits."""
    session.info.setdefault("at_commit", {}).setdefault(writer, set()).add(row)


async def write_at_commit(session: AsyncSession) -> None:
    """Each writer with its rows, in the order first held; a writer marked `late` (the change
    counters, app/db/written.py) after the others, whose writes may hold rows for it. Pending ORM
    changes are flushed first: the commit's own flush would come after the held rows are written."""
    await session.flush()
    held = session.info.get("at_commit", {})
    while held:
        writer = min(held, key=lambda w: getattr(w, "late", False))
        await writer(session, held.pop(writer))
    session.info.pop("at_commit", None)


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """A savepoint whose rollback also forgets the rows held for commit since it began."""
    held = {writer: set(rows) for writer, rows in session.info.get("at_commit", {}).items()}
    try:
        async with session.begin_nested():
            yield
    except BaseException:
        session.info["at_commit"] = held
        raise


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


async def set_tenants(session: AsyncSession, tenant_ids: Iterable[uuid.UUID],
                      practice_id: uuid.UUID | None = None) -> None:
    """Narrow or widen an open transaction's scope (e.g. after a login resolved the principal)."""
    await write_scope(session, scope_values(tenant_ids, practice_id))


def id_array(ids: list[uuid.UUID]):
    """`ids` as one array parameter, whatever their number."""
    return bindparam("ids", ids, type_=ARRAY(UUID(as_uuid=True)), unique=True)


def in_batch(column, ids: list[uuid.UUID]):
    """`column` is one of `ids` (one array parameter, whatever their number)."""
    return column == any_(id_array(ids))


def among(t, tenant_ids: Iterable[uuid.UUID], practice_id: uuid.UUID | None = None) -> list:
    """The rows of the tenants table `t` (or an alias) in a set: `tenant_ids`, or the whole practice.

    A whole practice is matched on its key, never by listing its tenants, so the cost is the rows
    read. The same rule as the policies' (the ACTIVE condition is the caller's own)."""
    if practice_id is not None:
        return [t.c.practice_id == bindparam("practice", practice_id, type_=UUID(as_uuid=True), unique=True)]
    return [in_batch(t.c.id, sorted(tenant_ids))]


def in_scope(t):
    """The transaction's tenant scope applied to the tenants table `t`, which has no row security.

    Each setting is read in a scalar subquery, as the policies read it, so PostgreSQL parses it
    once per statement: read in place, the list of 200 ids was parsed again for every row (22 ms
    of a 200-tenant portfolio's 54). The outer cast keeps `= ANY (array)` from being read as
    `= ANY (subquery)`."""
    ids, one = ARRAY(UUID(as_uuid=True)), UUID(as_uuid=True)
    listed = select(cast(func.nullif(func.current_setting("app.tenant_ids", True), ""), ids)).scalar_subquery()
    practice = select(cast(func.nullif(func.current_setting("app.practice_id", True), ""), one)).scalar_subquery()
    return or_(t.c.id == any_(cast(listed, ids)), t.c.practice_id == practice)
