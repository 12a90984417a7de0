"""The tenancy rules, checked on the live catalog of a migrated database."""

from sqlalchemy import text

from app.db.engine import RUNTIME_ROLE
from app.models import GLOBAL_TABLES, Base


async def rows(engine, sql, **params):
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).all()


async def tenant_tables(engine) -> list[str]:
    return [
        r[0]
        for r in await rows(
            engine,
            """select c.table_name from information_schema.columns c
               join information_schema.tables t using (table_schema, table_name)
               where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
               order by 1""",
        )
        if r[0] not in GLOBAL_TABLES
    ]


async def test_every_tenant_table_is_forced_under_one_policy(owner_engine):
    tables = await tenant_tables(owner_engine)
    assert len(tables) >= 16
    for table in tables:
        (rls, force), = await rows(
            owner_engine, "select relrowsecurity, relforcerowsecurity from pg_class where oid = cast(:t as regclass)", t=table
        )
        assert rls and force, table
        policies = await rows(owner_engine, "select qual from pg_policies where tablename = :t", t=table)
        assert len(policies) == 1, table
        assert "current_setting('app.tenant_ids'" in policies[0][0], table
        assert "current_setting('app.practice_id'" in policies[0][0], table


async def test_primary_and_foreign_keys_lead_with_tenant_id(owner_engine):
    for table in await tenant_tables(owner_engine):
        keys = await rows(
            owner_engine,
            """select con.contype::text, con.conname, array(select a.attname from unnest(con.conkey) k
                      join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k) as cols,
                      con.confrelid::regclass::text
               from pg_constraint con where con.conrelid = cast(:t as regclass) and con.contype in ('p', 'f')""",
            t=table,
        )
        pk = [k for k in keys if k[0] == "p"]
        assert pk and pk[0][2][0] == "tenant_id", (table, pk)
        for _, name, cols, target in keys:
            if target in GLOBAL_TABLES and target != "tenants":
                continue  # e.g. webhook_deliveries -> integrations: a table above tenancy
            if target and target != "tenants":
                assert "tenant_id" in cols, (table, name, cols)


async def test_every_table_of_the_models_is_tenant_owned_or_declared_global(owner_engine):
    tables = set(await tenant_tables(owner_engine))
    assert set(Base.metadata.tables) == tables | GLOBAL_TABLES


async def test_runtime_role_is_powerless(owner_engine):
    (superuser, bypass), = await rows(
        owner_engine, "select rolsuper, rolbypassrls from pg_roles where rolname = :r", r=RUNTIME_ROLE
    )
    assert not superuser and not bypass
    owned = await rows(
        owner_engine,
        "select c.relname from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = :r",
        r=RUNTIME_ROLE,
    )
    assert owned == []
    privileges = {
        r[0]
        for r in await rows(
            owner_engine,
            "select privilege_type from information_schema.role_table_grants where grantee = :r and table_name = 'audit_events'",
            r=RUNTIME_ROLE,
        )
    }
    assert privileges == {"SELECT", "INSERT"}
