"""Migrations: one head, up from empty, down to empty, up again; the models match the result."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import migrate
from app.db.engine import async_url
from app.models import Base


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


def test_graphql_is_graphql_core():
    """A top-level `graphql` package of ours would shadow graphql-core (DESIGN.md, Layout)."""
    import graphql

    assert "site-packages" in graphql.__file__ and graphql.__file__.endswith("graphql/__init__.py")
