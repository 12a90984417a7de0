"""The reports' fixtures: the demo practice, scored, whose first client has every section."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.health.actions import score_batch
from app.months import add_months, last_full_month
from app.seed.demo import DEMO_PRACTICE, seed_demo
from app.tenants.models import Practice, Tenant, User

MONTH = last_full_month()


@pytest.fixture
async def demo(api):
    """The demo practice, its first client (the richest) scored for the report's month and the one before."""
    sessionmaker = api.services.sessionmaker
    await seed_demo(sessionmaker)
    async with sessionmaker() as s:
        practice = await s.scalar(select(Practice).where(Practice.name == DEMO_PRACTICE))
        tenants = list(await s.scalars(select(Tenant).where(Tenant.practice_id == practice.id).order_by(Tenant.name)))
        users = {u.role: u for u in await s.scalars(select(User).where(User.practice_id == practice.id))}
    for month in (add_months(MONTH, -1), MONTH):
        await score_batch(sessionmaker, [t.id for t in tenants], month)
    harbor = next(t for t in tenants if t.slug == "harbor-dental-group")
    return harbor, tenants, users
