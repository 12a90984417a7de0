"""The reports' fixtures: a practice of its own with two synthetic clients (`clients`), and the demo
practice (`demo`), scored, whose first client has every section."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.health.actions import score_batch
from app.months import add_months, last_full_month
from app.seed.demo import DEMO_PRACTICE, seed_demo
from app.seed.synthetic import seed_synthetic
from app.tenants.models import Practice, Role, Tenant, User
from tests.mail.conftest import smtp_server  # noqa: F401 -- in-process SMTP servers (test_delivery.py)
from tests.workers.conftest import queue, queue_name, run_burst, settings  # noqa: F401 -- burst workers (test_delivery.py)

MONTH = last_full_month()


async def scored(sessionmaker, tenants: list[Tenant]) -> None:
    """Scores of the report's month and the one before."""
    for month in (add_months(MONTH, -1), MONTH):
        await score_batch(sessionmaker, [t.id for t in tenants], month)


@dataclass(frozen=True)
class Clients:
    practice: Practice
    tenants: list[Tenant]  # the first onboarded first: a year of everything
    admin: User
    executive: User  # of the first tenant


@pytest.fixture
async def clients(api, world) -> Clients:
    """Seeded clients of a new practice; about one in eight joins late (fewer months of data), so a
    practice is seeded again until its first client was there the whole year."""
    sessionmaker = api.services.sessionmaker
    start = add_months(MONTH, -11)
    for _ in range(5):
        summary = await seed_synthetic(sessionmaker, tenants=3, months=12, progress=False, end_month=MONTH,
                                       practice=f"Report Practice {uuid.uuid4().hex[:8]}")
        async with sessionmaker() as s:
            practice = await s.get(Practice, summary.practice_id)
            tenants = list(await s.scalars(select(Tenant).where(Tenant.practice_id == practice.id)
                                           .order_by(Tenant.created_at, Tenant.name)))
        if tenants[0].created_at.date() < add_months(start, 1):
            break
    await scored(sessionmaker, tenants)
    return Clients(practice, tenants, await world.user(practice, Role.PRACTICE_ADMIN),
                   await world.user(practice, Role.CLIENT_EXECUTIVE, [tenants[0]]))


@pytest.fixture
async def demo(api):
    """The demo practice, its first client (the richest) scored for the report's month and the one before."""
    sessionmaker = api.services.sessionmaker
    await seed_demo(sessionmaker)
    async with sessionmaker() as s:
        practice = await s.scalar(select(Practice).where(Practice.name == DEMO_PRACTICE))
        tenants = list(await s.scalars(select(Tenant).where(Tenant.practice_id == practice.id).order_by(Tenant.name)))
        users = {u.role: u for u in await s.scalars(select(User).where(User.practice_id == practice.id))}
    await scored(sessionmaker, tenants)
    harbor = next(t for t in tenants if t.slug == "harbor-dental-group")
    return harbor, tenants, users
