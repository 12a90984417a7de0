"""The bench's floor for scoring (app/bench/scoring.py): one statement reading every component's inputs.

`make bench` compares month-end scoring with it, so it must read what `gather_inputs` reads for
all eight components; here it runs on real rows and its new figures agree with the batch inputs.
The peer's portfolio statement, which the bench times against ours, counts high risks as ours does.
"""

from __future__ import annotations

from sqlalchemy import text

from app.bench.pgbench import PORTFOLIO
from app.bench.scoring import LIMIT, LIMIT_TABLE
from app.health.formula import HIGH
from app.months import add_months, last_day
from tests.health.test_inputs import MONTH, gathered, rich_tenant

# The reference's names for the inputs of the risk, alignment and lifecycle components.
NAMES = {
    "critical": "critical_risks", "high": "high_risks", "medium": "medium_risks", "overdue": "overdue_reviews",
    "expired": "expired_acceptances", "possible": "alignment_possible", "halves": "alignment_halves",
    "applicable": "standards_applicable", "aligned": "standards_aligned", "gaps": "high_priority_gaps",
    "current": "assets_current", "expiring": "assets_expiring", "unsupported": "assets_unsupported",
    "unknown": "assets_unknown",
}


async def test_the_single_statement_reads_the_inputs_of_all_eight_components(world, sessionmaker, owner_engine):
    practice = await world.practice()
    tenant = await rich_tenant(world, sessionmaker, practice)
    async with owner_engine.connect() as conn:
        async with conn.begin():
            await conn.execute(text(LIMIT_TABLE))
            await conn.execute(LIMIT, {"month": MONTH, "month_end": last_day(MONTH), "ids": [tenant.id]})
            row = (await conn.execute(text("select inputs from bench_limit where tenant_id = :t"), {"t": tenant.id})).scalar_one()
            await conn.rollback()
    inputs = (await gathered(sessionmaker, [tenant.id], [tenant.id]))[tenant.id].inputs
    assert {name: row[name] for name in NAMES} == {name: getattr(inputs, field) for name, field in NAMES.items()}
    assert row["completed_at"].startswith("2026-10-31T23:30")


async def test_the_peers_portfolio_counts_expired_acceptances_as_the_api_does(world, sessionmaker, owner_engine):
    """The peer's portfolio statement (app/bench/pgbench.py) answers `openHighRisks` as of today too."""
    practice = await world.practice()
    tenant = await rich_tenant(world, sessionmaker, practice)
    statement = PORTFOLIO.format(month=MONTH, previous=add_months(MONTH, -1), high=HIGH, year=MONTH.year,
                                 month_number=MONTH.month, practice_id=practice.id)
    async with owner_engine.connect() as conn:
        answer = (await conn.execute(text(statement))).scalar_one()
    ours = (await gathered(sessionmaker, [tenant.id], [tenant.id]))[tenant.id].open_high_risks
    # 20, 16 and 10 open or mitigating, and the 25 and 12 whose acceptances ended in October and November.
    assert [row["openHighRisks"] for row in answer["rows"]] == [ours] == [5]
