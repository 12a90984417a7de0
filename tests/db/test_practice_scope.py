"""The practice-wide scope (`app.practice_id`, an admin's): the database's own lock again, alone.

An admin's transaction names its practice instead of listing the practice's tenants; row
security then lets through the rows of that practice's ACTIVE tenants and nothing else, for
every table, every kind of write and every connection of the pool.
"""

import uuid

import pytest
from sqlalchemy import text

from app.db.engine import make_engine, make_sessionmaker
from app.db.scope import tenant_session
from tests.db.test_catalog import tenant_tables
from tests.db.test_isolation import WRITES, assert_write_refused, count_foreign, two_tenants_with_risks


async def two_practices_with_risks(world):
    """Tenants a1, a2 of one practice and b of another, each with one risk."""
    a1, a2 = await two_tenants_with_risks(world)
    b, _ = await two_tenants_with_risks(world)
    async with world.scope(()) as s:
        practice_a = await s.scalar(text("select practice_id from tenants where id = :t"), {"t": a1.id})
    return practice_a, a1, a2, b


async def test_the_practice_scope_sees_its_tenants_and_nothing_of_another_practice(world, sessionmaker, owner_engine):
    practice_a, a1, a2, b = await two_practices_with_risks(world)
    tables = await tenant_tables(owner_engine)
    async with tenant_session(sessionmaker, (), practice_a) as s:
        assert await count_foreign(s, tables, b.id) == 0
        assert set(await s.scalars(text("select tenant_id from risks"))) == {a1.id, a2.id}


async def test_an_offboarded_tenant_of_the_practice_is_outside_it(world, sessionmaker, owner_engine):
    practice_a, a1, a2, _ = await two_practices_with_risks(world)
    async with owner_engine.begin() as conn:
        await conn.execute(text("update tenants set status = 'OFFBOARDED' where id = :t"), {"t": a2.id})
    async with tenant_session(sessionmaker, (), practice_a) as s:
        assert set(await s.scalars(text("select tenant_id from risks"))) == {a1.id}


async def test_an_unknown_practice_sees_nothing(world, sessionmaker):
    await two_practices_with_risks(world)
    async with tenant_session(sessionmaker, (), uuid.uuid4()) as s:
        assert await s.scalar(text("select count(*) from risks")) == 0


@pytest.mark.parametrize("statement", WRITES)
async def test_writes_to_another_practice_are_refused_or_touch_nothing(world, sessionmaker, owner_engine, statement):
    practice_a, _, _, b = await two_practices_with_risks(world)
    await assert_write_refused(sessionmaker, owner_engine, statement, "app.practice_id", str(practice_a), b)


async def test_alternating_practice_and_listed_scopes_on_one_connection_never_leak(database_url, world):
    """A practice scope, then a listed one of the other practice, 500 times each on one pooled
    connection: neither setting survives its transaction."""
    practice_a, a1, a2, b = await two_practices_with_risks(world)
    engine = make_engine(database_url, pool_size=1)
    sm = make_sessionmaker(engine)
    query = text("select tenant_id from risks where tenant_id in (:a1, :a2, :b)")
    try:
        for i in range(1000):
            practice, listed, seen = (practice_a, (), {a1.id, a2.id}) if i % 2 else (None, [b.id], {b.id})
            async with tenant_session(sm, listed, practice) as s:
                rows = set((await s.execute(query, {"a1": a1.id, "a2": a2.id, "b": b.id})).scalars())
                assert rows == seen, i
        async with sm() as s, s.begin():
            settings = (await s.execute(text(
                "select current_setting('app.tenant_ids', true), current_setting('app.practice_id', true)"))).one()
            assert all(value in ("", None) for value in settings)
            assert await s.scalar(text("select count(*) from risks")) == 0
    finally:
        await engine.dispose()
