"""The health jobs on a real Redis: the monthly fan-out, stale recomputes, user requests, crashes."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import signal

import pytest
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from sqlalchemy import func, select

from app.db.embedded import free_port
from app.db.queue import use_queue
from app.db.scope import tenant_session
from app.errors import Forbidden, NotFound
from app.health.actions import score_batch
from app.health.models import HealthScore
from app.health.recompute import (
    SCORE_BATCH,
    RecomputeState,
    active_tenants,
    batch_job_id,
    enqueue_recompute,
    job_status,
    mark_stale,
    stale_job_id,
    sweep_stale,
    tenant_batches,
)
from app.tenants.models import Role, TenantStatus
from app.tickets.models import TicketMonth
from tests.conftest import World, on_citus
from tests.health.rows import (
    add,
    change_tenant,
    principal_of,
    stale_marks,
    stored_scores,
    without_computed_at,
)
from tests.workers.slow_worker import signal_inside_a_later_batch
from workers.main import WorkerSettings

UTC = dt.UTC
MONTHLY = next(c for c in WorkerSettings.cron_jobs if c.name == "cron:score_closed_month")


async def tenants_with_tickets(world, sessionmaker, count: int, month: dt.date):
    practice = await world.practice()
    tenants = [await world.tenant(practice, employee_count=10 + 7 * i) for i in range(count)]
    for i, tenant in enumerate(tenants[::2]):
        await add(sessionmaker, tenant.id, TicketMonth(tenant_id=tenant.id, month=month, source="manual", support=3 * i))
    return practice, tenants


def test_the_monthly_run_is_the_first_at_two_utc_unique_and_retried():
    monthly = copy.copy(MONTHLY)  # the shared one must not carry a next run into other tests
    monthly.calculate_next(dt.datetime(2026, 10, 15, 12, tzinfo=UTC))
    assert monthly.next_run.replace(microsecond=0) == dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert monthly.unique and monthly.max_tries >= 3
    assert WorkerSettings.timezone == UTC


async def run_monthly(queue: ArqRedis, run_burst, scheduled: dt.datetime):
    """What the cron does at `scheduled`: enqueue the monthly job due then, and run the worker."""
    job_id = f"{MONTHLY.name}:{scheduled.timestamp():.0f}:{os.urandom(4).hex()}"
    await queue.enqueue_job(MONTHLY.name, _defer_until=scheduled, _job_id=job_id, _expires=3600)
    return await run_burst(cron_jobs=[MONTHLY])


async def all_scores(sessionmaker, month):
    async with tenant_session(sessionmaker, ()) as session:
        active = list(await session.scalars(active_tenants()))
    async with tenant_session(sessionmaker, active) as session:
        count = await session.scalar(select(func.count()).select_from(HealthScore).where(HealthScore.month == month))
    return active, count, await stored_scores(sessionmaker, active, month)


async def test_the_monthly_fan_out_scores_every_active_tenant_once_and_a_rerun_changes_nothing(
    own_database_url, own_sessionmaker, queue, run_burst
):
    sessionmaker = own_sessionmaker
    closed = dt.date(2019, 3, 1)
    _, tenants = await tenants_with_tickets(World(sessionmaker), sessionmaker, 7, closed)
    await change_tenant(sessionmaker, tenants[-1].id, status=TenantStatus.OFFBOARDED)

    def run_here(**options):
        return run_burst(database_url=own_database_url, **options)

    worker = await run_monthly(queue, run_here, dt.datetime(2019, 4, 1, 2, 0, tzinfo=UTC))

    active, count, first = await all_scores(sessionmaker, closed)
    assert tenants[-1].id not in active and set(t.id for t in tenants[:-1]) <= set(active)
    assert set(first) == set(active) and count == len(active)  # every active tenant, once
    # The cron and one job per batch of 3: in id order, or on a cluster per shard group too.
    expected = await tenant_batches(sessionmaker, 3)
    assert sorted(t for batch in expected for t in batch) == sorted(active) and all(len(b) <= 3 for b in expected)
    if not on_citus():
        assert expected == [active[i:i + 3] for i in range(0, len(active), 3)]
    assert (worker.jobs_complete, worker.jobs_failed) == (1 + len(expected), 0)
    assert (await stored_scores(sessionmaker, [tenants[-1].id], closed)) == {}

    await run_monthly(queue, run_here, dt.datetime(2019, 4, 1, 2, 0, tzinfo=UTC))

    _, count_again, second = await all_scores(sessionmaker, closed)
    assert count_again == count and without_computed_at(second) == without_computed_at(first)
    assert all(second[t]["computed_at"] > first[t]["computed_at"] for t in first)


@pytest.fixture
def worker_log(tmp_path):
    path = tmp_path / "worker.log"
    with path.open("wb") as log:
        yield log
    print(path.read_text()[-3000:])  # shown by pytest when the test fails


async def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    world, sessionmaker, queue, queue_name, run_burst, database_url, redis_url, worker_log
):
    month = dt.date(2019, 5, 1)
    _, tenants = await tenants_with_tickets(world, sessionmaker, 12, month)
    ids = [str(t.id) for t in sorted(tenants, key=lambda t: t.id)]
    batches = [ids[i:i + 3] for i in range(0, len(ids), 3)]
    for batch in batches:
        await queue.enqueue_job(SCORE_BATCH, batch, "2019-05", _job_id=batch_job_id(month, batch))
    job_timeout = 2  # a crashed worker's job is retried once its in-progress key expires: 2 + 10 s

    async def stored() -> int:
        return len(await stored_scores(sessionmaker, [t.id for t in tenants], month))

    async def started_after_first_commit() -> bool:
        return await stored() >= 3 and any([await queue.exists(in_progress_key_prefix + batch_job_id(month, b)) for b in batches[1:]])

    await signal_inside_a_later_batch(
        database_url=database_url, redis_url=redis_url, queue_name=queue_name, job_timeout=job_timeout,
        log=worker_log, ready=started_after_first_commit, sig=signal.SIGKILL, wait=10,
    )
    killed_at = await stored()
    assert 3 <= killed_at < len(ids)
    assert any([await queue.exists(in_progress_key_prefix + batch_job_id(month, b)) for b in batches]), "no job was killed mid-run"

    worker = await run_burst(job_timeout=job_timeout)

    assert worker.jobs_failed == 0 and worker.jobs_complete == len(batches) - killed_at // 3
    after_restart = await stored_scores(sessionmaker, [t.id for t in tenants], month)
    async with tenant_session(sessionmaker, [t.id for t in tenants]) as session:
        rows = await session.scalar(select(func.count()).select_from(HealthScore).where(HealthScore.month == month))
    assert rows == len(ids) and {str(t) for t in after_restart} == set(ids)
    await score_batch(sessionmaker, [t.id for t in tenants], month)  # an uninterrupted run
    assert without_computed_at(await stored_scores(sessionmaker, [t.id for t in tenants], month)) == without_computed_at(after_restart)


async def test_a_stale_month_is_recomputed_once_after_the_commit(world, sessionmaker, queue, run_burst):
    month = dt.date(2026, 8, 1)
    practice = await world.practice()
    tenant = await world.tenant(practice, employee_count=40)
    await score_batch(sessionmaker, [tenant.id], month)

    async with tenant_session(sessionmaker, [tenant.id]) as session:
        use_queue(session, queue)
        session.add(TicketMonth(tenant_id=tenant.id, month=month, source="manual", support=24))
        await mark_stale(session, tenant.id, month)
        await mark_stale(session, tenant.id, month)
        assert await queue.zcard(queue.default_queue_name) == 0  # nothing before the commit
    async with tenant_session(sessionmaker, [tenant.id]) as session:
        use_queue(session, queue)
        await mark_stale(session, tenant.id, month)  # the queued job has not run: it collapses
    queued = await queue.zrange(queue.default_queue_name, 0, -1)
    assert queued == [stale_job_id(tenant.id, month).encode()]

    worker = await run_burst()

    assert worker.jobs_complete == 1
    stored = (await stored_scores(sessionmaker, [tenant.id], month))[tenant.id]
    assert stored["components"][0]["explanation"] == "24 tickets in 2026-08 against a target of 8 for 40 employees."
    assert await stale_marks(sessionmaker, [tenant.id]) == set()
    async with tenant_session(sessionmaker, [tenant.id]) as session:
        use_queue(session, queue)
        await mark_stale(session, tenant.id, month)  # a finished recompute does not block the next one
    assert await queue.zcard(queue.default_queue_name) == 1


async def test_with_redis_down_the_write_stands_and_the_sweeper_enqueues_it(world, sessionmaker, queue, run_burst, caplog):
    month = dt.date(2026, 7, 1)
    practice = await world.practice()
    tenant = await world.tenant(practice, employee_count=40)
    down = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)

    with caplog.at_level(logging.ERROR, logger="app.db.scope"):
        async with tenant_session(sessionmaker, [tenant.id]) as session:
            use_queue(session, down)
            session.add(TicketMonth(tenant_id=tenant.id, month=month, source="manual", support=4))
            await mark_stale(session, tenant.id, month)
    await down.aclose()
    assert "after-commit work failed" in caplog.text
    assert await stale_marks(sessionmaker, [tenant.id]) == {(tenant.id, month)}

    assert await sweep_stale(queue, sessionmaker, batch_size=3) >= 1
    assert stale_job_id(tenant.id, month).encode() in await queue.zrange(queue.default_queue_name, 0, -1)
    assert await sweep_stale(queue, sessionmaker, batch_size=3) == 0  # already queued
    await run_burst()

    assert (await stored_scores(sessionmaker, [tenant.id], month))[tenant.id]["inputs"]["tickets"] == 4
    assert await stale_marks(sessionmaker, [tenant.id]) == set()


async def test_a_users_request_reports_its_state_to_that_user_only(world, sessionmaker, queue, run_burst):
    month = dt.date(2026, 6, 1)
    practice = await world.practice()
    first, second = await world.tenant(practice), await world.tenant(practice)
    cio = await principal_of(world, practice, Role.CIO, tenants=[first, second])
    colleague = await principal_of(world, practice, Role.PRACTICE_ADMIN)
    stranger = await principal_of(world, await world.practice(), Role.PRACTICE_ADMIN)

    job_id = await enqueue_recompute(queue, cio, [first.id, second.id], month)

    assert await job_status(queue, cio, job_id) == RecomputeState("QUEUED")
    assert await job_status(queue, colleague, job_id) is None
    assert await job_status(queue, stranger, job_id) is None
    await run_burst()
    assert await job_status(queue, cio, job_id) == RecomputeState("DONE", tenant_count=2)
    assert set(await stored_scores(sessionmaker, [first.id, second.id], month)) == {first.id, second.id}
    assert await job_status(queue, cio, "health-request:unknown") is None


async def test_a_failed_request_says_so_without_internals(world, sessionmaker, queue, run_burst):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    cio = await principal_of(world, practice, Role.CIO, tenants=[tenant])
    job_id = await enqueue_recompute(queue, cio, [tenant.id], dt.date(2026, 6, 1))

    await run_burst(job_timeout=0.001)  # no scoring finishes in a millisecond

    state = await job_status(queue, cio, job_id)
    assert state.status == "FAILED" and "unexpectedly" in state.reason


async def test_requests_are_refused_for_readers_and_for_tenants_out_of_sight(world, sessionmaker, queue):
    practice, elsewhere = await world.practice(), await world.practice()
    tenant, foreign = await world.tenant(practice), await world.tenant(elsewhere)
    executive = await principal_of(world, practice, Role.CLIENT_EXECUTIVE, tenants=[tenant])
    admin = await principal_of(world, practice, Role.PRACTICE_ADMIN)

    with pytest.raises(Forbidden):
        await enqueue_recompute(queue, executive, [tenant.id], dt.date(2026, 6, 1))
    with pytest.raises(NotFound):
        await enqueue_recompute(queue, admin, [tenant.id, foreign.id], dt.date(2026, 6, 1))
    assert await queue.zcard(queue.default_queue_name) == 0
