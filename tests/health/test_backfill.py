"""`fcio recompute`: a range of months scored directly, for every tenant or one slug."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import Invalid, NotFound
from app.health.backfill import recompute_months
from app.services import Services
from app.settings import Settings
from app.tickets.models import TicketMonth
from tests.health.rows import add, stored_scores


@pytest.fixture
def services(database_url, engine, sessionmaker) -> Services:
    settings = Settings(DATABASE_URL=database_url, health_batch_size=2)
    return Services(settings, engine, sessionmaker, redis=None)  # the backfill never queues


async def test_one_slug_is_scored_for_every_month_of_the_range(world, sessionmaker, services, capsys):
    practice = await world.practice()
    chosen, other = await world.tenant(practice, employee_count=40), await world.tenant(practice)
    await add(sessionmaker, chosen.id, TicketMonth(tenant_id=chosen.id, month=dt.date(2018, 2, 1), source="manual", support=16))

    counts = await recompute_months(services, dt.date(2017, 12, 1), dt.date(2018, 2, 1), tenant_slug=chosen.slug)

    assert (counts.months, counts.tenants, counts.scored) == (3, 1, 3)
    for month in (dt.date(2017, 12, 1), dt.date(2018, 1, 1), dt.date(2018, 2, 1)):
        assert set(await stored_scores(sessionmaker, [chosen.id, other.id], month)) == {chosen.id}
    february = (await stored_scores(sessionmaker, [chosen.id], dt.date(2018, 2, 1)))[chosen.id]
    assert february["components"][0]["score"] == 50
    assert "Scoring" in capsys.readouterr().out  # the progress bar


async def test_every_active_tenant_is_scored_without_a_slug(world, sessionmaker, services):
    practice = await world.practice()
    tenants = [await world.tenant(practice) for _ in range(3)]

    counts = await recompute_months(services, dt.date(2017, 6, 1), dt.date(2017, 6, 1), progress=False)

    assert counts.months == 1 and counts.scored == counts.tenants >= 3
    assert set(await stored_scores(sessionmaker, [t.id for t in tenants], dt.date(2017, 6, 1))) == {t.id for t in tenants}


async def test_a_backwards_range_or_an_unknown_slug_is_refused(services):
    with pytest.raises(Invalid):
        await recompute_months(services, dt.date(2018, 3, 1), dt.date(2018, 2, 1), progress=False)
    with pytest.raises(NotFound):
        await recompute_months(services, dt.date(2018, 2, 1), dt.date(2018, 2, 1), tenant_slug="no-such-client", progress=False)
