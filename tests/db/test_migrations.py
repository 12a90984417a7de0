"""Migrations: one head, up from empty, down to empty, up again; the models match the result.

Migrations are history (STYLE.md 14): each holds the SQL it ran and imports nothing of `app`, so
a database migrated years ago and one created today end in the same schema. The catalog
comparison below checks exactly that: a fresh database taken to head in one command, and one
taken there a revision at a time, have identical tables, columns, indexes, constraints, policies,
triggers, functions and grants.
"""

import ast
import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import migrate
from app.db.engine import async_url
from app.models import Base

# Every query returns rows that name their object first, sorted: two catalogs are equal exactly
# when every query answers the same rows. Objects of the `public` schema only (the runtime role
# is cluster-wide, so both databases see the same one).
CATALOG = {
    "relations": """
        SELECT c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind NOT IN ('i', 'I')""",
    "columns": """
        SELECT c.relname, a.attnum - (SELECT count(*) FROM pg_attribute d WHERE d.attrelid = a.attrelid
                                      AND d.attisdropped AND d.attnum BETWEEN 1 AND a.attnum) AS position,
               a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated::text,
               a.attidentity::text, pg_get_expr(ad.adbin, ad.adrelid), a.attacl::text, co.collname
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraints": """
        SELECT c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid), con.condeferrable,
               con.convalidated
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        WHERE c.relnamespace = 'public'::regnamespace""",
    "policies": """
        SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
        FROM pg_policies WHERE schemaname = 'public'""",
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid), p.proacl::text
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace""",
    "types": """
        SELECT t.typname, t.typtype::text,
               array(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)::text
        FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c')
          AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')""",
    "schema": "SELECT n.nspname, n.nspacl::text FROM pg_namespace n WHERE n.nspname = 'public'",
    "extensions": "SELECT extname, extversion FROM pg_extension",
}


async def catalog(url) -> dict[str, list[tuple]]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return {name: sorted(tuple(r) for r in await conn.execute(text(sql))) for name, sql in CATALOG.items()}
    finally:
        await engine.dispose()


def revisions(url) -> list[str]:
    """Every revision, oldest first."""
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(migrate.alembic_config(url)).walk_revisions()))]


def differing(a: dict, b: dict) -> set[str]:
    return {name for name in CATALOG if a[name] != b[name]}


async def public_tables(url) -> set[str]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("select tablename from pg_tables where schemaname = 'public'"))
            return {r[0] for r in rows} - {"alembic_version"}
    finally:
        await engine.dispose()


async def schema_diff(url) -> list:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    finally:
        await engine.dispose()


def test_one_head_up_down_up_and_models_match(fresh_database):
    url = fresh_database("fcio_migrations")
    assert len(migrate.heads(url)) == 1
    migrate.upgrade(url)
    assert asyncio.run(public_tables(url)) == set(Base.metadata.tables)
    assert asyncio.run(schema_diff(url)) == []
    migrate.downgrade(url, "base")
    assert asyncio.run(public_tables(url)) == set()
    migrate.upgrade(url)
    assert asyncio.run(migrate.current_revision(url)) == migrate.heads(url)[0]


def test_step_by_step_and_straight_to_head_end_in_the_same_catalog(fresh_database):
    """A database upgraded one revision at a time (as one deployed since 0001 was) and one created
    at head: identical catalogs. The comparison can tell them apart: the last revision changes
    the catalog, and undoing it gives back the one before."""
    straight, stepped = fresh_database("fcio_straight"), fresh_database("fcio_stepped")
    migrate.upgrade(straight)
    head = asyncio.run(catalog(straight))

    *earlier, last = revisions(stepped)
    for revision in earlier:
        migrate.upgrade(stepped, revision)
        assert asyncio.run(migrate.current_revision(stepped)) == revision
    before_last = asyncio.run(catalog(stepped))
    migrate.upgrade(stepped, last)
    assert asyncio.run(catalog(stepped)) == head

    assert differing(before_last, head), "the last migration changed nothing the comparison sees"
    migrate.downgrade(stepped, earlier[-1])
    assert asyncio.run(catalog(stepped)) == before_last


def test_0005_brings_0002_and_0004_to_todays_policy_and_fold(fresh_database):
    """What 0002 and 0004 ran has since changed; only 0005 (not an edit of them) changes it."""
    url = fresh_database("fcio_0004")
    migrate.upgrade(url, "0004")
    old = asyncio.run(catalog(url))
    migrate.upgrade(url, "0005")
    new = asyncio.run(catalog(url))
    assert differing(old, new) == {"policies", "functions"}
    (old_match,), (new_match,) = {p[5] for p in old["policies"]}, {p[5] for p in new["policies"]}
    assert "::uuid[] AS " not in old_match  # 0002: the cast outside the subquery only
    assert "::uuid[] AS " in new_match  # 0005: inside it too
    changed = {f[0] for f in set(old["functions"]) ^ set(new["functions"])}
    assert changed == {"fold_tenant_versions"}


async def test_generated_columns_are_what_the_models_declare(owner_engine):
    """Alembic does not compare generated columns; PostgreSQL, given the models' expression on a
    copy of the table, must store the same one the migrations did."""
    computed = [(table.name, column.name, str(column.computed.sqltext))
                for table in Base.metadata.sorted_tables for column in table.columns if column.computed is not None]
    assert {(t, c) for t, c, _ in computed} >= {("tenants", "gid"), ("risks", "gid"), ("risks", "score")}
    stored = """SELECT format_type(a.atttypid, a.atttypmod), pg_get_expr(ad.adbin, ad.adrelid)
                FROM pg_attribute a JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                WHERE a.attrelid = cast(:t AS regclass) AND a.attname = :c"""
    async with owner_engine.connect() as conn:
        for table, name, expression in computed:
            (type_, migrated), = (await conn.execute(text(stored), {"t": table, "c": name})).all()
            await conn.execute(text(f"CREATE TEMP TABLE probe (LIKE {table})"))
            await conn.execute(text(f"ALTER TABLE probe DROP COLUMN {name}"))
            await conn.execute(text(f"ALTER TABLE probe ADD COLUMN {name} {type_} GENERATED ALWAYS AS ({expression}) STORED"))
            (_, declared), = (await conn.execute(text(stored), {"t": "pg_temp.probe", "c": name})).all()
            await conn.execute(text("DROP TABLE probe"))
            assert declared == migrated, (table, name)
        await conn.rollback()


def test_no_migration_imports_the_app():
    """Today's code may change; a migration holds the SQL it ran (STYLE.md 14)."""
    versions = Path(migrate.MIGRATIONS) / "versions"
    files = sorted(versions.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] if node.level == 0 else ["."]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in {"alembic", "sqlalchemy", "__future__"}, (path.name, module)


def test_graphql_is_graphql_core():
    """A top-level `graphql` package of ours would shadow graphql-core (DESIGN.md, Layout)."""
    import graphql

    assert "site-packages" in graphql.__file__ and graphql.__file__.endswith("graphql/__init__.py")


async def test_a_database_said_to_be_citus_without_citus_is_refused(database_url, monkeypatch):
    monkeypatch.setenv("FCIO_CITUS", "true")
    with pytest.raises(RuntimeError, match="no citus extension"):
        await migrate.distribute_on_citus(database_url)
