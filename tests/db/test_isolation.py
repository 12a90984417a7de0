"""The database's own lock: with tenant A in scope, tenant B does not exist — whatever the URL's role."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.auth.principal import Principal
from app.db import written
from app.db.engine import make_engine, make_sessionmaker
from app.db.scope import tenant_session
from app.risks import actions as risks
from app.risks.models import RiskCategory
from tests.db.test_catalog import tenant_tables


async def two_tenants_with_risks(world):
    practice = await world.practice()
    a, b = await world.tenant(practice), await world.tenant(practice)
    for tenant in (a, b):
        async with world.scope([tenant.id]) as s:
            await risks.create_risk(
                s, Principal.system([tenant.id], practice.id), tenant.id,
                title="Unpatched VPN", category=RiskCategory.SECURITY, likelihood=4, impact=5,
            )
    return a, b


async def count_foreign(session, tables, foreign_id) -> int:
    total = 0
    for table in tables:
        total += await session.scalar(text(f"select count(*) from {table} where tenant_id = :t"), {"t": foreign_id})
    return total


async def test_scope_hides_every_table_of_another_tenant(world, sessionmaker, owner_engine):
    a, b = await two_tenants_with_risks(world)
    tables = await tenant_tables(owner_engine)
    async with tenant_session(sessionmaker, [a.id]) as s:
        assert await count_foreign(s, tables, b.id) == 0
        assert await s.scalar(text("select count(*) from risks where tenant_id = :t"), {"t": a.id}) == 1
        assert await s.scalar(text("select count(*) from audit_events where tenant_id = :t"), {"t": a.id}) >= 1


async def test_no_scope_means_no_rows(world, sessionmaker, owner_engine):
    a, _ = await two_tenants_with_risks(world)
    tables = await tenant_tables(owner_engine)
    async with sessionmaker() as s, s.begin():
        for table in tables:
            assert await s.scalar(text(f"select count(*) from {table}")) == 0, table
    async with tenant_session(sessionmaker, []) as s:
        assert await s.scalar(text("select count(*) from risks")) == 0


WRITES = [
    "insert into risks (tenant_id, id, title, category, status, likelihood, impact, version) "
    "values (:b, gen_random_uuid(), 'x', 'SECURITY', 'OPEN', 1, 1, 1)",
    "update risks set title = 'owned' where tenant_id = :b",
    "delete from risks where tenant_id = :b",
]


@pytest.mark.parametrize("statement", WRITES)
async def test_writes_to_another_tenant_are_refused_or_touch_nothing(world, sessionmaker, owner_engine, statement):
    a, b = await two_tenants_with_risks(world)
    await assert_write_refused(sessionmaker, owner_engine, statement, "app.tenant_ids", "{" + str(a.id) + "}", b)


async def assert_write_refused(sessionmaker, owner_engine, statement: str, setting: str, value: str, b) -> None:
    """`statement` aimed at tenant `b` under the scope `setting = value` changes none of b's rows."""
    async with sessionmaker() as s:
        async with s.begin():
            await s.execute(text("select set_config(:setting, :value, true)"), {"setting": setting, "value": value})
            try:
                # Row security lets it write none of b's rows: declared so (app/db/written.py).
                result = await s.execute(text(statement), {"b": b.id}, execution_options=written.declare(()))
                assert result.rowcount == 0
            except DBAPIError as error:
                assert "row-level security" in str(error)
                await s.rollback()
    async with owner_engine.connect() as conn:
        titles = (await conn.execute(text("select title from risks where tenant_id = :b"), {"b": b.id})).scalars().all()
    assert titles == ["Unpatched VPN"]


async def test_runtime_role_even_with_a_superuser_url(database_url, world):
    a, b = await two_tenants_with_risks(world)
    engine = make_engine(database_url)  # the URL names the superuser `postgres`
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("select current_user"))).scalar() == "fcio_app"
            await conn.execute(text("reset all"))
            assert (await conn.execute(text("select current_user"))).scalar() == "fcio_app"
            assert (await conn.execute(text("select count(*) from risks"))).scalar() == 0
            with pytest.raises(DBAPIError):
                await conn.execute(text("set row_security = off; select 1"))
    finally:
        await engine.dispose()


async def test_a_thousand_alternating_transactions_on_one_connection_never_leak(database_url, world):
    a, b = await two_tenants_with_risks(world)
    engine = make_engine(database_url, pool_size=1)
    sm = make_sessionmaker(engine)
    try:
        foreign = 0
        for i in range(1000):
            mine, theirs = (a.id, b.id) if i % 2 else (b.id, a.id)
            async with tenant_session(sm, [mine]) as s:
                rows = (await s.execute(text("select tenant_id from risks where tenant_id in (:a, :b)"), {"a": a.id, "b": b.id})).scalars().all()
                foreign += sum(1 for t in rows if t == theirs)
                assert rows == [mine]
        assert foreign == 0
        # A plain SET would leak to the next transaction; set_config(..., true) does not.
        async with sm() as s, s.begin():
            assert (await s.execute(text("select current_setting('app.tenant_ids', true)"))).scalar() in ("", None)
    finally:
        await engine.dispose()


async def test_unknown_tenant_ids_in_scope_see_nothing(sessionmaker):
    async with tenant_session(sessionmaker, [uuid.uuid4()]) as s:
        assert await s.scalar(text("select count(*) from risks")) == 0
