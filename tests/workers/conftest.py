"""A queue of its own per test, and in-process burst workers on it (against the real Redis)."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from arq import create_pool

from app.services import redis_settings
from app.settings import Settings
from workers.main import create_worker


@pytest.fixture
def queue_name() -> str:
    return f"test:health:{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(database_url, redis_url) -> Settings:
    return Settings(DATABASE_URL=database_url, REDIS_URL=redis_url, health_batch_size=3)


@pytest_asyncio.fixture
async def queue(redis_url, queue_name):
    """The pool the app side enqueues through: its default queue is the test's queue."""
    pool = await create_pool(redis_settings(redis_url), default_queue_name=queue_name)
    yield pool
    await pool.aclose()


@pytest.fixture
def run_burst(settings, queue_name):
    """Run a burst worker on the test's queue until it is empty; returns the finished worker.

    No cron jobs unless a test passes them: a 5-minute sweep must not fire in the middle of a test.
    `database_url`: another database than the run's (a test's own).
    """

    async def run(database_url: str | None = None, **overrides):
        options = {"queue_name": queue_name, "burst": True, "handle_signals": False, "poll_delay": 0.05,
                   "cron_jobs": [], **overrides}
        on = settings.model_copy(update={"database_url": database_url}) if database_url else settings
        worker = create_worker(on, **options)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        return worker

    return run
