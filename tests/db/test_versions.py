"""The per-tenant change counters: every write to a watched table bumps exactly its tenants.

The answer cache is exact only if no write can miss its counter. The app's sessions see every
write (app/db/written.py); these check the watched tables against the live catalog, each way a
statement names its tenants, the refusal of a write that names none, and that the suite's oracle
(tests/oracle.py, what the triggers did) fails a write that bypasses the session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.exc import DBAPIError

from app.db import versions, written
from app.db.scope import tenant_session
from app.tenants.models import PracticeVersion, Tenant, TenantVersion
from app.tickets.models import Ticket, TicketCategory
from app.vendors.models import Vendor, VendorRelationship
from tests.conftest import on_citus

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def counters(world, *tenants) -> list[int]:
    async with world.scope(()) as s:
        found = dict((await s.execute(select(TenantVersion.id, func.sum(TenantVersion.version))
                                      .where(TenantVersion.id.in_([t.id for t in tenants]))
                                      .group_by(TenantVersion.id))).all())
    return [found.get(t.id, 0) for t in tenants]


async def rows_of(world, tenant) -> int:
    async with world.scope(()) as s:
        return await s.scalar(select(func.count()).select_from(TenantVersion).where(TenantVersion.id == tenant.id))


def vendor(tenant_id, vendor_id=None, name="Acme") -> dict:
    return {"tenant_id": tenant_id, "id": vendor_id or uuid.uuid4(), "name": name,
            "relationship": VendorRelationship.PARTNER, "version": 1}


async def test_every_tenant_table_is_watched_or_declared_unwatched_and_no_trigger_counts(owner_engine):
    async with owner_engine.connect() as conn:
        owned = set(await conn.scalars(text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'tenant_id'")))
        counting = set(await conn.scalars(text(
            "SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE '%versions%'")))
    assert versions.UNWATCHED <= owned
    assert set(versions.WATCHED) == (owned - versions.UNWATCHED) | {"tenants"}
    assert counting == set()  # the counters are the app's, at commit (migration 0019)


async def test_insert_update_upsert_and_delete_bump_only_the_tenants_written(world):
    practice = await world.practice()
    a, b, c = [await world.tenant(practice) for _ in range(3)]
    start = await counters(world, a, b, c)

    async def write(*statements, **options) -> list[int]:
        async with world.scope([a.id, b.id, c.id]) as s:
            for statement in statements:
                await s.execute(statement, execution_options=options)
        now = await counters(world, a, b, c)
        return [n - s for n, s in zip(now, start, strict=True)]

    acme = uuid.uuid4()
    assert await write(insert(Vendor).values([vendor(a.id, acme), vendor(a.id)])) == [1, 0, 0]
    changed = update(Vendor).where(Vendor.tenant_id == a.id, Vendor.id == acme)
    assert await write(changed.values(name="Acme 2"), changed.values(name="Acme 3")) == [2, 0, 0]  # one per commit
    again = upsert(Vendor).values(vendor(a.id, acme, "Acme 4"))
    assert await write(again.on_conflict_do_update(index_elements=["tenant_id", "id"], set_={"name": "Acme 4"})) == [3, 0, 0]
    assert await write(update(Vendor).where(Vendor.tenant_id.in_([b.id])).values(name="B")) == [3, 1, 0]  # named: bumped
    async with world.scope([b.id]) as s:  # the ORM's flush: its object's tenant, and its practice
        (await s.get(Tenant, b.id)).name += "."
    assert [n - s for n, s in zip(await counters(world, a, b, c), start, strict=True)] == [3, 2, 0]
    assert await write(delete(Vendor).where(Vendor.tenant_id == a.id)) == [4, 2, 0]
    gamma = text("UPDATE vendors SET name = 'Gamma' WHERE tenant_id = ANY (:ids)").bindparams(ids=[b.id, c.id])
    assert await write(insert(Vendor).values([vendor(b.id), vendor(c.id)]), gamma, **written.declare([b.id, c.id])) == [4, 3, 1]
    returned = update(Vendor).where(Vendor.name == "Gamma").values(name="Delta").returning(Vendor.tenant_id)  # b's, c's
    assert await write(returned) == [4, 4, 2]  # read off its RETURNING


async def test_a_write_that_names_no_tenant_is_refused(world):
    """Text statements declare their tenants; a construct pins them, inserts them or returns them."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    for statement in (text("UPDATE vendors SET name = name WHERE tenant_id = :t").bindparams(t=tenant.id),
                      update(Vendor).where(Vendor.name == "Acme").values(name="Beta"),
                      update(Tenant).where(Tenant.id == tenant.id).values(name="Renamed")):  # and its practice?
        with pytest.raises(written.UnknownTenants):
            async with world.scope([tenant.id]) as s:
                await s.execute(statement)


async def test_a_session_that_commits_its_writes_unwritten_is_refused(sessionmaker):
    """Only `transaction()` writes the held tenants; committing otherwise would lose them."""
    tenant = uuid.uuid4()
    with pytest.raises(RuntimeError, match="writes held for commit"):
        async with sessionmaker() as s, s.begin():
            written.hold(s, [tenant])


@pytest.mark.skipif(on_citus(), reason="the oracle's triggers run on one node (tests/oracle.py)")
async def test_the_oracle_fails_a_write_that_bypasses_the_session(world, sessionmaker):
    """The suite's guarantee that no path misses the counters: a write past the session's sight
    (the driver itself) cannot commit in the suite's database."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    with pytest.raises(DBAPIError, match="not counted at commit"):
        async with tenant_session(sessionmaker, [tenant.id]) as s:
            raw = await (await s.connection()).get_raw_connection()
            await raw.driver_connection.execute(
                "INSERT INTO vendors (tenant_id, id, name, relationship, version) VALUES ($1, $2, 'Acme', 'PARTNER', 1)",
                tenant.id, uuid.uuid4())


async def test_unwatched_tables_do_not_bump(world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    (before,) = await counters(world, tenant)
    async with world.scope([tenant.id]) as s:  # no declaration needed either
        await s.execute(text("INSERT INTO stale_health_months (tenant_id, month) VALUES (:t, '2026-01-01')"),
                        {"t": tenant.id})
    assert await counters(world, tenant) == [before]


async def test_a_removed_tenant_keeps_counting_from_where_it_was(world):
    """Counters are never deleted: a sum can never come back to a value an old answer was stored under."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    (before,) = await counters(world, tenant)
    async with world.scope([tenant.id]) as s:
        await s.delete(await s.get(Tenant, tenant.id))
    (after,) = await counters(world, tenant)
    assert after > before > 0


async def test_writers_of_one_tenant_never_wait_for_each_other(world):
    """One row per backend: an open transaction that bumped a tenant (its commit does; here it is
    made to early, so its row stays locked) does not hold up another writer of it (a single row per
    tenant queued them, and deadlocked scoring against PSA jobs). On Citus too: the bump's writes of
    the reference tables are declared commutative (app/db/citus.py)."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    (start,) = await counters(world, tenant)
    async with world.scope([tenant.id]) as open_writer:
        await open_writer.execute(insert(Vendor).values(vendor(tenant.id)))
        await written.bump(open_writer, {("tenant", tenant.id)})

        async def second_writer():
            async with world.scope([tenant.id]) as s:
                await s.execute(insert(Vendor).values(vendor(tenant.id)))

        await asyncio.wait_for(second_writer(), 5)
        assert await counters(world, tenant) == [start + 1]
    assert await counters(world, tenant) == [start + 3]  # the early bump, and its commit's


@pytest.mark.skipif(on_citus(), reason="on a cluster the fold's deletes take the counters' shard lock (Citus "
                                       "serializes a reference table's non-commutative writes): it waits for the "
                                       "bumps being committed, so an open writer's early bump would hold it")
async def test_folding_skips_a_held_row_and_keeps_every_sum(world):
    practice = await world.practice()
    tenant, other = await world.tenant(practice), await world.tenant(practice)
    async with world.scope([tenant.id]) as open_writer:
        await open_writer.execute(insert(Vendor).values(vendor(tenant.id)))
        await written.bump(open_writer, {("tenant", tenant.id)})
        async with world.scope([tenant.id]) as s:
            await s.execute(insert(Vendor).values(vendor(tenant.id)))
        before = await counters(world, tenant, other)
        async with world.scope(()) as s:
            folded = await versions.fold(s)  # as the runtime role, like the worker's cron
        assert folded >= 1
        assert await counters(world, tenant, other) == before
        assert await rows_of(world, tenant) <= 2  # the folded row, and the open writer's
    after = await counters(world, tenant, other)
    assert after[0] == before[0] + 2 and after[1] == before[1]  # the early bump, and its commit's
    async with world.scope(()) as s:
        await versions.fold(s)
    assert await counters(world, tenant, other) == after and await rows_of(world, tenant) == 1


async def practice_counters(world, practice) -> tuple[int, int]:
    async with world.scope(()) as s:
        row = (await s.execute(select(func.coalesce(func.sum(PracticeVersion.roster), 0),
                                      func.coalesce(func.sum(PracticeVersion.data), 0))
                               .where(PracticeVersion.id == practice.id))).one()
    return tuple(row)


async def test_a_practice_counts_writes_to_its_tenants_rows_and_to_their_data(world):
    """`roster` moves with the practice's tenants rows only, `data` with any write of its tenants."""
    practice, other = await world.practice(), await world.practice()
    a = await world.tenant(practice)
    start, other_start = await practice_counters(world, practice), await practice_counters(world, other)

    async def moved(statement, **options) -> tuple[int, int]:
        async with world.scope([a.id]) as s:
            await s.execute(statement, execution_options=options)
        now = await practice_counters(world, practice)
        return now[0] - start[0], now[1] - start[1]

    assert await moved(insert(Vendor).values(vendor(a.id))) == (0, 1)
    renamed = text("UPDATE tenants SET name = name || '.' WHERE id = :t").bindparams(t=a.id)
    assert await moved(renamed, **written.declare([a.id], [practice.id])) == (1, 2)
    b = await world.tenant(practice)  # a new tenant: the roster moves
    assert (await practice_counters(world, practice))[0] == start[0] + 2
    assert await moved(delete(Vendor).where(Vendor.tenant_id == a.id)) == (2, 4)
    async with world.scope(()) as s:
        await s.delete(await s.get(Tenant, b.id))
    assert (await practice_counters(world, practice))[0] == start[0] + 3
    assert await practice_counters(world, other) == other_start


async def test_folding_keeps_every_practice_sum(world):
    practice = await world.practice()
    await world.tenant(practice)
    await world.tenant(practice)
    before = await practice_counters(world, practice)
    async with world.scope(()) as s:
        await versions.fold(s)
    assert await practice_counters(world, practice) == before
    async with world.scope(()) as s:
        rows = await s.scalar(select(func.count()).select_from(PracticeVersion).where(PracticeVersion.id == practice.id))
    assert rows == 1


@pytest.mark.skipif(on_citus(), reason="the oracle's triggers run on one node (tests/oracle.py)")
async def test_the_oracle_fails_a_ticket_written_without_its_figures(world, sessionmaker):
    """The kept figures' guarantee: a write of tickets that holds no deltas (app/db/figures.py)
    cannot commit in the suite's database."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    with pytest.raises(DBAPIError, match="figures differ at commit"):
        async with tenant_session(sessionmaker, [tenant.id]) as s:
            await s.execute(insert(Ticket).values(tenant_id=tenant.id, source="script", external_id="T-1",
                                                  category=TicketCategory.SUPPORT, opened_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)))
