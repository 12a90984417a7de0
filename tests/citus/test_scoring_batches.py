"""Scoring on a cluster: batches of one shard group's tenants, each statement of a batch sent to that shard.

A batch's statements name its tenants (`tenant_id = ANY(...)`); Citus sends such a statement to
the shards holding them, so a batch that mixes shard groups is a task on each of them for every
statement (app/health/recompute.py `tenant_batches`). A subquery correlated on `tenant_id` alone
is planned on every shard whatever its statement names: the budgets' figures name the batch in
each subquery there (app/health/inputs.py `budget_figures`).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text

from app.db.citus import layout
from app.db.scope import tenant_session
from app.health.actions import score_batch
from app.health.recompute import tenant_batches

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHARD = text("SELECT get_shard_id_for_distribution_column(CAST(:table AS regclass), CAST(:id AS uuid))")


async def shard_of(session, tenant_id) -> int:
    return await session.scalar(SHARD, {"table": layout()[1][0], "id": tenant_id})


async def test_batches_hold_one_shard_groups_tenants_and_every_statement_of_one_is_one_task(
        world, sessionmaker, count_statements):
    practice = await world.practice()
    tenants = [await world.tenant(practice, f"Client {n:02}") for n in range(12)]
    given = [t.id for t in tenants]
    batches = await tenant_batches(sessionmaker, 3, given)

    async with tenant_session(sessionmaker, given) as s:
        shards = {t: await shard_of(s, t) for t in given}
    assert sorted(t for batch in batches for t in batch) == sorted(given)  # each tenant once
    assert all(len(batch) <= 3 and batch == sorted(batch) for batch in batches)
    assert all(len({shards[t] for t in batch}) == 1 for batch in batches), (batches, shards)
    assert len(set(shards.values())) > 1  # twelve tenants over the cluster's shards: more than one group

    batch = max(batches, key=len)
    with count_statements() as log:
        assert await score_batch(sessionmaker, batch, dt.date(2026, 10, 1)) == len(batch)
    reads = [(s, p) for s, p in log.sent if re.match(r"\s*SELECT\b.*\bFROM\b", s, re.S | re.I)]
    assert len(reads) >= 9, [s[:60] for s, _ in log.sent]  # the tenants and every area's inputs
    for statement, parameters in reads:
        async with tenant_session(sessionmaker, batch) as s:
            plan = "\n".join(r[0] for r in (await (await s.connection()).exec_driver_sql(
                "EXPLAIN " + statement, parameters)).all())
        assert re.findall(r"Task Count: (\d+)", plan) == ["1"], (statement[:200], plan)
