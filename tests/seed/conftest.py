"""Databases of their own for the seed tests: the determinism checks compare whole databases."""

from __future__ import annotations

import datetime as dt

import pytest
import pytest_asyncio
from sqlalchemy import select

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.scope import tenant_session
from app.models import (
    ActionItem,
    Asset,
    Base,
    Budget,
    BudgetLine,
    BudgetSpend,
    BusinessGoal,
    Initiative,
    ItPlan,
    Policy,
    Risk,
    SteeringMeeting,
    Tenant,
    TicketMonth,
    Vendor,
)
from app.seed.synthetic import seed_synthetic

TENANTS, MONTHS, END_MONTH = 20, 6, dt.date(2026, 6, 1)
# The tenant-owned areas every seeded tenant has rows in (tickets only with a PSA, so not here).
AREAS = (Vendor, ItPlan, BusinessGoal, Initiative, Risk, Budget, BudgetLine, BudgetSpend, TicketMonth, Policy, SteeringMeeting,
         ActionItem, Asset)


# Secrets the database draws at random for every row: no seed decides them.
DRAWN = {("practices", "report_secret"), ("users", "calendar_feed_key")}


async def dump(sessionmaker) -> dict[str, list[tuple]]:
    """Every table of the database, ordered by primary key, read through the scope of all its tenants.

    Not the change counters: their rows are per database backend (app/db/versions.py); nor the
    secrets drawn at random (DRAWN).
    """
    async with tenant_session(sessionmaker, ()) as session:
        tenant_ids = list(await session.scalars(select(Tenant.id)))
    async with tenant_session(sessionmaker, tenant_ids) as session:
        return {
            name: [tuple(row) for row in await session.execute(
                select(*(c for c in table.columns if (name, c.name) not in DRAWN)).order_by(*table.primary_key.columns))]
            for name, table in sorted(Base.metadata.tables.items()) if name not in ("tenant_versions", "practice_versions")
        }


@pytest.fixture(scope="module")
def seed_databases(fresh_database) -> dict[str, str]:
    """Three migrated databases: two for the same seed, one for another seed."""
    urls = {}
    for name in ("first", "again", "other"):
        urls[name] = fresh_database("fcio_seed")
        migrate.upgrade(urls[name])
    return urls


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def seeded(seed_databases):
    """name -> (sessionmaker, summary): seed 1 twice, seed 2 once, 20 tenants x 6 months each."""
    engines, out = [], {}
    for name, url in seed_databases.items():
        engine = make_engine(url)
        engines.append(engine)
        sm = make_sessionmaker(engine)
        summary = await seed_synthetic(
            sm, tenants=TENANTS, months=MONTHS, seed=2 if name == "other" else 1, progress=False, end_month=END_MONTH
        )
        out[name] = (sm, summary)
    yield out
    for engine in engines:
        await engine.dispose()
