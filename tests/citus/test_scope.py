"""The tenant scope on every node: rows come back through row security on the cluster, no setting is
no rows on every worker's shards, and a statement about one tenant is answered by one worker."""

import asyncpg
from sqlalchemy import text

from app.auth.principal import Principal
from app.db.engine import RUNTIME_ROLE
from app.db.scope import tenant_session
from app.risks import actions as risks
from app.risks.models import RiskCategory


async def tenants_with_risks(world, count: int = 2):
    practice = await world.practice()
    made = [await world.tenant(practice) for _ in range(count)]
    for i, tenant in enumerate(made):
        async with world.scope([tenant.id]) as s:
            for n in range(i + 1):
                await risks.create_risk(s, Principal.system([tenant.id], practice.id), tenant.id,
                                        title=f"Risk {n}", category=RiskCategory.SECURITY, likelihood=4, impact=5)
    return practice, made


async def shards_of(owner_engine, table: str, tenant_id) -> tuple[list, str, int]:
    """Every (shard name, worker port) of `table`, and the shard and port that hold `tenant_id`."""
    async with owner_engine.connect() as conn:
        shards = (await conn.execute(text(
            "select shard_name, nodeport from citus_shards where table_name = cast(:t as regclass) order by 1"
        ), {"t": table})).all()
        (name, port), = (await conn.execute(text(
            "select shard_name(cast(:t as regclass), shardid), nodeport from citus_shards "
            "where shardid = get_shard_id_for_distribution_column(cast(:t as regclass), cast(:v as uuid))"),
            {"t": table, "v": str(tenant_id)})).all()
    return shards, name, port


async def as_runtime_role_on(port: int, database_url: str):
    """A connection straight to one worker, as the runtime role (which may log in there)."""
    database = database_url.rsplit("/", 1)[1]
    return await asyncpg.connect(host="127.0.0.1", port=port, user=RUNTIME_ROLE, database=database)


async def test_rows_come_back_through_row_security_on_the_cluster(world, sessionmaker):
    practice, (a, b) = await tenants_with_risks(world)
    async with world.scope([a.id]) as s:
        assert await s.scalar(text("select count(*) from risks")) == 1
    async with world.scope([a.id, b.id]) as s:
        assert await s.scalar(text("select count(*) from risks")) == 3
    async with world.scope([]) as s:
        assert await s.scalar(text("select count(*) from risks")) == 0


async def test_a_practice_scope_reaches_the_workers(world, sessionmaker):
    """A practice-wide scope names the practice; the workers' policies find its ACTIVE tenants in
    their copy of the tenants reference table."""
    practice, made = await tenants_with_risks(world, 3)
    other, _ = await tenants_with_risks(world, 1)
    async with tenant_session(sessionmaker, [], practice.id) as s:
        assert await s.scalar(text("select count(*) from risks")) == 1 + 2 + 3
    async with tenant_session(sessionmaker, [], other.id) as s:
        assert await s.scalar(text("select count(*) from risks")) == 1


async def test_no_setting_means_no_rows_on_every_shard(world, owner_engine, database_url):
    _, (a, _) = await tenants_with_risks(world)
    shards, home, home_port = await shards_of(owner_engine, "risks", a.id)
    assert {port for _, port in shards} == set(await worker_ports(owner_engine))
    for name, port in shards:
        conn = await as_runtime_role_on(port, database_url)
        try:
            assert await conn.fetchval(f"select count(*) from {name}") == 0, name
            # A setting the worker itself holds is what its shard's policy reads.
            async with conn.transaction():
                await conn.execute("select set_config('app.tenant_ids', $1, true)", "{" + str(a.id) + "}")
                assert await conn.fetchval(f"select count(*) from {name}") == (1 if name == home else 0), name
        finally:
            await conn.close()
    assert home_port in {port for _, port in shards}


async def test_the_listed_tenants_are_matched_whole_and_only_as_written(world, database_url, owner_engine):
    """The cluster's policy finds a listed tenant as text in the setting (app/db/citus.py
    `TENANT_MATCH`): its whole canonical id, never a part of it; a setting that is no list of
    canonical ids shows nothing (where `::uuid[]` would raise or read uppercase)."""
    _, (a, b) = await tenants_with_risks(world)
    _, shard, port = await shards_of(owner_engine, "risks", b.id)
    conn = await as_runtime_role_on(port, database_url)
    try:
        ids = str(b.id)
        other_last = ids[:-1] + ("1" if ids[-1] != "1" else "2")
        for setting, seen in (("{" + ids + "}", 2), ("{" + str(a.id) + "," + ids + "}", 2),
                              ("{" + ids[:-1] + "}", 0), ("{" + ids[1:] + "}", 0), ("{" + other_last + "}", 0),
                              ("{" + ids.upper() + "}", 0), ("{" + ids.replace("-", "") + "}", 0), ("garbage", 0)):
            async with conn.transaction():
                await conn.execute("select set_config('app.tenant_ids', $1, true)", setting)
                assert await conn.fetchval(f"select count(*) from {shard} where tenant_id = $1", b.id) == seen, setting
    finally:
        await conn.close()


async def test_set_config_on_the_coordinator_does_not_reach_the_workers(world, engine):
    """Why the scope is a SET LOCAL on Citus: the coordinator's set_config alone answers nothing."""
    _, (a, _) = await tenants_with_risks(world)
    async with engine.connect() as conn, conn.begin():
        await conn.execute(text("select set_config('app.tenant_ids', :ids, true)"), {"ids": "{" + str(a.id) + "}"})
        assert await conn.scalar(text("select count(*) from risks")) == 0


async def plan(session, statement: str, **params) -> str:
    return "\n".join(r[0] for r in (await session.execute(text("explain " + statement), params)).all())


async def test_a_statement_naming_its_tenant_is_routed_to_one_worker(world, sessionmaker):
    """`tenant_id = $1` routes to the one worker holding the tenant's shard group; row security alone
    never routes (it is applied on every shard: citusdata/citus#7415), so the app's reads name
    their tenant."""
    _, (a, b) = await tenants_with_risks(world)
    async with tenant_session(sessionmaker, [a.id, b.id]) as s:
        for statement in (
            "select count(*) from risks where tenant_id = :t",
            "select r.title, i.title from risks r left join initiatives i on i.tenant_id = r.tenant_id "
            "and i.id = r.initiative_id where r.tenant_id = :t",
            "select h.score, (select count(*) from risks r where r.tenant_id = :t) "
            "from health_scores h join tenants t on t.id = h.tenant_id where h.tenant_id = :t",
        ):
            assert "Task Count: 1\n" in await plan(s, statement, t=a.id) + "\n", statement
        assert "Task Count: 32" in await plan(s, "select count(*) from risks")
        # A subquery correlated on the tenant, not naming it, is not routed with its statement.
        assert "Task Count: 32" in await plan(
            s, "select h.score, (select count(*) from risks r where r.tenant_id = h.tenant_id) "
               "from health_scores h where h.tenant_id = :t", t=a.id)
        assert await s.scalar(text("select count(*) from risks where tenant_id = :t"), {"t": b.id}) == 2


async def worker_ports(owner_engine) -> list[int]:
    async with owner_engine.connect() as conn:
        return list(await conn.scalars(text("select nodeport from pg_dist_node where groupid <> 0 order by 1")))
