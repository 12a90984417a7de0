"""A worker stopped with SIGTERM in the middle of a batch: the work completes exactly once in effect.

(SIGKILL mid-batch is tests/workers/test_health_jobs.py; this is the orderly stop a deploy sends.)
"""

from __future__ import annotations

import datetime as dt
import signal

import pytest
from arq.constants import in_progress_key_prefix
from sqlalchemy import func, select

from app.db.scope import tenant_session
from app.health.actions import score_batch
from app.health.models import HealthScore
from app.health.recompute import SCORE_BATCH, batch_job_id
from tests.health.rows import stored_scores, without_computed_at
from tests.workers.conftest import queue, queue_name, run_burst, settings  # noqa: F401 -- the worker fixtures
from tests.workers.slow_worker import signal_inside_a_later_batch
from tests.workers.test_health_jobs import tenants_with_tickets

MONTH = dt.date(2019, 7, 1)  # a month no other test scores


@pytest.mark.slow
async def test_a_sigterm_mid_batch_loses_nothing_and_duplicates_nothing(
    world, sessionmaker, queue, queue_name, run_burst, database_url, redis_url, tmp_path  # noqa: F811
):
    _, tenants = await tenants_with_tickets(world, sessionmaker, 12, MONTH)
    ids = [str(t.id) for t in sorted(tenants, key=lambda t: t.id)]
    batches = [ids[i:i + 3] for i in range(0, len(ids), 3)]
    for batch in batches:
        await queue.enqueue_job(SCORE_BATCH, batch, MONTH.strftime("%Y-%m"), _job_id=batch_job_id(MONTH, batch))

    async def stored() -> int:
        return len(await stored_scores(sessionmaker, [t.id for t in tenants], MONTH))

    async def inside_a_later_batch() -> bool:
        return await stored() >= 3 and any([await queue.exists(in_progress_key_prefix + batch_job_id(MONTH, b)) for b in batches[1:]])

    with (tmp_path / "worker.log").open("wb") as log:
        await signal_inside_a_later_batch(
            database_url=database_url, redis_url=redis_url, queue_name=queue_name, job_timeout=30,
            log=log, ready=inside_a_later_batch, sig=signal.SIGTERM, wait=20,
        )
    stopped_at = await stored()

    worker = await run_burst(job_timeout=30)

    assert 3 <= stopped_at < len(ids), (tmp_path / "worker.log").read_text()[-2000:]
    assert worker.jobs_failed == 0
    after = await stored_scores(sessionmaker, [t.id for t in tenants], MONTH)
    async with tenant_session(sessionmaker, [t.id for t in tenants]) as session:
        rows = await session.scalar(select(func.count()).select_from(HealthScore).where(HealthScore.month == MONTH))
    assert rows == len(ids) and {str(t) for t in after} == set(ids)
    await score_batch(sessionmaker, [t.id for t in tenants], MONTH)  # what an uninterrupted run writes
    assert without_computed_at(await stored_scores(sessionmaker, [t.id for t in tenants], MONTH)) == without_computed_at(after)
