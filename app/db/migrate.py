"""Alembic, driven from code: `fcio migrate` and the tests use these, not an alembic.ini."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import citus
from app.db.engine import RUNTIME_ROLE, async_url

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate to `revision`; at the head, on a Citus coordinator, distribute the schema (app/db/citus.py)."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        asyncio.run(distribute_on_citus(url))


async def distribute_on_citus(url: str) -> list[str]:
    """`citus.distribute` where the database is a coordinator; nothing elsewhere."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:  # all or nothing: a failure leaves the schema as migrated
            if not await conn.run_sync(citus.enabled):
                return []
            distributed = await conn.run_sync(citus.distribute, RUNTIME_ROLE)
        async with engine.begin() as conn:
            await conn.run_sync(citus.open_workers, RUNTIME_ROLE)
        return distributed
    finally:
        await engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def heads(url: str) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config(url)).get_heads())


async def current_revision(url: str) -> str | None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await engine.dispose()
