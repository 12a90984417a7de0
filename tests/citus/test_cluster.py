"""The cluster the run started (a coordinator and two active workers, each with Citus, on loopback),
and the schema `fcio migrate` leaves on it: the catalog test's rules, for distribution."""

from sqlalchemy import text

from app.db.migrate import distribute_on_citus
from app.models import GLOBAL_TABLES
from tests.db.test_catalog import tenant_tables


async def test_the_coordinator_has_two_active_workers(owner_engine):
    async with owner_engine.connect() as conn:
        nodes = (await conn.execute(text(
            "select nodename, noderole::text, isactive, groupid from pg_dist_node order by groupid"
        ))).all()
        version = await conn.scalar(text("select extversion from pg_extension where extname = 'citus'"))
    assert version.startswith("13.2")
    assert [(n.nodename, n.isactive) for n in nodes] == [("127.0.0.1", True)] * 3
    assert [n.groupid for n in nodes] == [0, 1, 2]  # group 0: the coordinator


async def test_tenant_tables_are_distributed_on_tenant_id_in_one_group_and_global_tables_replicated(owner_engine):
    tables = await tenant_tables(owner_engine)
    async with owner_engine.connect() as conn:
        placed = {r.name: r for r in (await conn.execute(text(
            "select table_name::text as name, citus_table_type, distribution_column, colocation_id, shard_count "
            "from citus_tables"))).all()}
    assert len(tables) >= 16
    assert {placed[t].citus_table_type for t in tables} == {"distributed"}
    assert {placed[t].distribution_column for t in tables} == {"tenant_id"}
    assert len({placed[t].colocation_id for t in tables}) == 1  # a tenant's rows move and join together
    assert {placed[t].citus_table_type for t in GLOBAL_TABLES} == {"reference"}
    assert set(placed) == set(tables) | GLOBAL_TABLES


async def test_migrating_again_changes_nothing(database_url, owner_engine):
    before = await citus_layout(owner_engine)
    assert await distribute_on_citus(database_url) == []
    assert await citus_layout(owner_engine) == before


async def citus_layout(engine) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "select table_name::text, citus_table_type, colocation_id from citus_tables order by 1"))).all()
