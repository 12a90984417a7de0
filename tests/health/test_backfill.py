"""`fcio recompute`: a range of months scored directly, for every tenant or one slug."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

import pytest

from app.errors import Invalid, NotFound
from app.health.backfill import recompute_months
from app.health.formula import KEYS
from app.health.models import HealthScore
from app.services import Services
from app.settings import Settings
from app.tickets.models import TicketMonth
from tests.conftest import World
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


async def test_every_active_tenant_is_scored_without_a_slug(own_database_url, own_engine, own_sessionmaker, services):
    sessionmaker, world = own_sessionmaker, World(own_sessionmaker)
    practice = await world.practice()
    tenants = [await world.tenant(practice) for _ in range(3)]
    here = Services(services.settings.model_copy(update={"database_url": own_database_url}),
                    own_engine, sessionmaker, services.redis)

    counts = await recompute_months(here, dt.date(2017, 6, 1), dt.date(2017, 6, 1), progress=False)

    assert counts.months == 1 and counts.scored == counts.tenants == 3
    assert set(await stored_scores(sessionmaker, [t.id for t in tenants], dt.date(2017, 6, 1))) == {t.id for t in tenants}


async def test_a_backwards_range_or_an_unknown_slug_is_refused(services):
    with pytest.raises(Invalid):
        await recompute_months(services, dt.date(2018, 3, 1), dt.date(2018, 2, 1), progress=False)
    with pytest.raises(NotFound):
        await recompute_months(services, dt.date(2018, 2, 1), dt.date(2018, 2, 1), tenant_slug="no-such-client", progress=False)


VERSION_1_COMPONENTS = [
    {"key": key, "score": 80, "weight": weight, "explanation": "As version 1 wrote it."}
    for key, weight in (("tickets", 0.25), ("budget", 0.15), ("risks", 0.20), ("plan", 0.15), ("steering", 0.10),
                        ("policies", 0.15))
]


async def test_recompute_from_rescores_stored_version_1_months_under_version_2(world, sessionmaker, database_url,
                                                                               redis_url):
    """`fcio recompute --from`, as an operator runs it: the months of the range become version 2, the
    month before it stays as version 1 computed it."""
    practice = await world.practice()
    tenant = await world.tenant(practice, employee_count=40)
    months = [dt.date(2016, 1, 1), dt.date(2016, 2, 1), dt.date(2016, 3, 1)]
    await add(sessionmaker, tenant.id, TicketMonth(tenant_id=tenant.id, month=months[1], source="manual", support=16), *[
        HealthScore(tenant_id=tenant.id, month=m, score=80, band="GREEN", components=VERSION_1_COMPONENTS,
                    inputs={"month": m.isoformat()}, formula_version=1) for m in months
    ])

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "recompute", "--from", "2016-02", "--month", "2016-03", "--tenant", tenant.slug,
        env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, output.decode()

    rows = {m: (await stored_scores(sessionmaker, [tenant.id], m))[tenant.id] for m in months}
    assert (rows[months[0]]["formula_version"], rows[months[0]]["components"]) == (1, VERSION_1_COMPONENTS)
    for m in months[1:]:
        assert rows[m]["formula_version"] == 2
        assert [c["key"] for c in rows[m]["components"]] == list(KEYS)
        assert "review_completed_on" in rows[m]["inputs"] and "assets_unknown" in rows[m]["inputs"]
    assert rows[months[1]]["components"][0]["explanation"] == "16 tickets in 2016-02 against a target of 8 for 40 employees."
