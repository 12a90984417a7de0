"""The per-tenant change counters: every write to a watched table bumps exactly its tenants.

The answer cache is exact only if no write can miss its counter, so the table list is checked on
the live catalog (a new tenant table must be watched or declared unwatched) and each kind of
write is tried on a real table.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text

from app.db import versions
from app.tenants.models import PracticeVersion, TenantVersion

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


async def test_every_tenant_table_is_watched_or_declared_unwatched(owner_engine):
    async with owner_engine.connect() as conn:
        owned = set(await conn.scalars(text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'tenant_id'")))
        triggers = (await conn.execute(text(
            "SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = :f GROUP BY c.relname"), {"f": versions.FUNCTION})).all()
    assert versions.UNWATCHED <= owned
    assert dict(triggers) == {table: 4 for table in (owned - versions.UNWATCHED) | {"tenants"}}


async def test_insert_update_upsert_and_delete_bump_only_the_tenants_written(world):
    practice = await world.practice()
    a, b, c = [await world.tenant(practice) for _ in range(3)]
    start = await counters(world, a, b, c)

    async def write(sql: str, **params) -> list[int]:
        async with world.scope([a.id, b.id, c.id]) as s:
            await s.execute(text(sql), params)
        now = await counters(world, a, b, c)
        return [n - s for n, s in zip(now, start, strict=True)]

    vendor = uuid.uuid4()
    insert = ("INSERT INTO vendors (tenant_id, id, name, relationship, version) VALUES "
              "(:t, :v, 'Acme', 'PARTNER', 1), (:t, gen_random_uuid(), 'Beta', 'PARTNER', 1)")
    assert await write(insert, t=a.id, v=vendor) == [1, 0, 0]  # one statement, one bump
    assert await write("UPDATE vendors SET name = 'Acme 2' WHERE id = :v", v=vendor) == [2, 0, 0]
    assert await write("UPDATE vendors SET name = name WHERE id = :v", v=vendor) == [3, 0, 0]  # unchanged still counts
    upsert = ("INSERT INTO vendors (tenant_id, id, name, relationship, version) VALUES (:t, :v, 'Acme 3', 'PARTNER', 1) "
              "ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name")
    assert await write(upsert, t=a.id, v=vendor) == [4, 0, 0]  # the update half of an upsert bumps too
    assert await write("UPDATE vendors SET name = name WHERE tenant_id = :t", t=b.id) == [4, 0, 0]  # no rows
    assert await write("UPDATE tenants SET name = name || '.' WHERE id = :t", t=b.id) == [4, 1, 0]
    assert await write("DELETE FROM vendors WHERE tenant_id = :t", t=a.id) == [5, 1, 0]
    assert await write("INSERT INTO vendors (tenant_id, id, name, relationship, version) "
                       "SELECT id, gen_random_uuid(), 'Gamma', 'PARTNER', 1 FROM tenants "
                       "WHERE id IN (:b, :c)", b=b.id, c=c.id) == [5, 2, 1]


async def test_unwatched_tables_do_not_bump(world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    (before,) = await counters(world, tenant)
    async with world.scope([tenant.id]) as s:
        await s.execute(text("INSERT INTO stale_health_months (tenant_id, month) VALUES (:t, '2026-01-01')"),
                        {"t": tenant.id})
    assert await counters(world, tenant) == [before]


async def test_a_removed_tenant_keeps_counting_from_where_it_was(world):
    """Counters are never deleted: a sum can never come back to a value an old answer was stored under."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    (before,) = await counters(world, tenant)
    async with world.scope([tenant.id]) as s:
        await s.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant.id})
    (after,) = await counters(world, tenant)
    assert after > before > 0


async def test_writers_of_one_tenant_never_wait_for_each_other_and_folding_keeps_every_sum(world):
    """One row per backend: an open transaction that wrote a tenant does not hold up another
    writer of it (a single row per tenant queued them, and deadlocked scoring against PSA jobs)."""
    practice = await world.practice()
    tenant, other = await world.tenant(practice), await world.tenant(practice)
    add_vendor = ("INSERT INTO vendors (tenant_id, id, name, relationship, version) "
                  "VALUES (:t, gen_random_uuid(), 'Acme', 'PARTNER', 1)")
    async with world.scope([tenant.id]) as open_writer:
        await open_writer.execute(text(add_vendor), {"t": tenant.id})

        async def second_writer():
            async with world.scope([tenant.id]) as s:
                await s.execute(text(add_vendor), {"t": tenant.id})

        await asyncio.wait_for(second_writer(), 5)
        before = await counters(world, tenant, other)
        async with world.scope(()) as s:
            folded = await versions.fold(s)  # as the runtime role, like the worker's cron
        assert folded >= 1
        assert await counters(world, tenant, other) == before
        assert await rows_of(world, tenant) <= 2  # the folded row, and the open writer's if it had one
    after = await counters(world, tenant, other)
    assert after[0] == before[0] + 1 and after[1] == before[1]
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

    async def moved(sql: str, **params) -> tuple[int, int]:
        async with world.scope([a.id]) as s:
            await s.execute(text(sql), params)
        now = await practice_counters(world, practice)
        return now[0] - start[0], now[1] - start[1]

    add_vendor = ("INSERT INTO vendors (tenant_id, id, name, relationship, version) "
                  "VALUES (:t, gen_random_uuid(), 'Acme', 'PARTNER', 1)")
    assert await moved(add_vendor, t=a.id) == (0, 1)
    assert await moved("UPDATE tenants SET name = name || '.' WHERE id = :t", t=a.id) == (1, 2)
    b = await world.tenant(practice)  # a new tenant: the roster moves
    assert (await practice_counters(world, practice))[0] == start[0] + 2
    assert await moved("DELETE FROM vendors WHERE tenant_id = :t", t=a.id) == (2, 4)
    async with world.scope(()) as s:
        await s.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": b.id})
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
