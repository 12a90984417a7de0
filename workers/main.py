"""The arq worker: its functions, its crons and the process-wide clients it keeps in `ctx`.

`fcio worker` calls `run_worker(settings)`; tests and `fcio dev` may `create_worker(...)` and
await `async_run()`. Every job enqueued by the worker itself (the fan-out, the sweeper) goes
through the worker's own pool, `ctx["redis"]`, so it lands on the queue the worker reads.
"""

from __future__ import annotations

import datetime as dt

from arq import cron, func
from arq import worker as arq_worker
from arq.worker import Worker

from app.accounts.invitations import MAIL_INVITATION
from app.accounts.resets import MAIL_RESET
from app.db.engine import make_engine, make_sessionmaker
from app.health.recompute import RECOMPUTE_REQUESTED, RECOMPUTE_STALE, REQUEST_TTL_SECONDS, SCORE_BATCH
from app.integrations.actions import TENANT_JOB
from app.reports.delivery import DELIVER_REPORT
from app.services import Services, redis_settings
from app.settings import Settings
from workers import jobs, psa_jobs

SWEEP_EVERY_MINUTES = 5
REPORT_MAX_TRIES = 10  # settings.report_retry_seconds holds at most 8 waits: 9 tries, one run spare


async def startup(ctx) -> None:
    settings: Settings = ctx["settings"]
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL must be set for the worker (or run `fcio dev`).")
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    # The worker's own Redis pool: arq made it, arq closes it.
    ctx["services"] = Services(settings, engine, make_sessionmaker(engine), ctx["redis"])


async def shutdown(ctx) -> None:
    services = ctx.pop("services", None)
    if services is not None:
        await services.engine.dispose()


class WorkerSettings:
    """Batch and stale jobs keep no result (keep_result=0): a finished job never blocks its id.

    Timeouts are the worker's `job_timeout` (no per-function timeout), so a test can shorten the
    time after which a crashed worker's job is retried (the largest timeout + 10 s).
    """

    functions = [
        func(jobs.score_health_batch, name=SCORE_BATCH, keep_result=0),
        func(jobs.recompute_stale_health, name=RECOMPUTE_STALE, keep_result=0),
        func(jobs.recompute_requested_health, name=RECOMPUTE_REQUESTED, keep_result=REQUEST_TTL_SECONDS),
        # No result kept: the delivery sweeper may queue a tenant's job under the same id.
        func(psa_jobs.process_waiting_deliveries, name=TENANT_JOB, keep_result=0),
        # No result kept: a FAILED delivery sent again is queued under the same id. Tries: the
        # delivery counts its own (settings.report_retry_seconds); arq's bound leaves room for crashes.
        func(jobs.deliver_executive_report, name=DELIVER_REPORT, keep_result=0, max_tries=REPORT_MAX_TRIES),
        # No result kept: an address may ask for a reset again as soon as its job has run.
        func(jobs.mail_invitation_link, name=MAIL_INVITATION, keep_result=0),
        func(jobs.mail_password_reset, name=MAIL_RESET, keep_result=0),
    ]
    cron_jobs = [
        cron(jobs.score_closed_month, day=1, hour=2, minute=0, unique=True, max_tries=5),
        cron(jobs.sweep_stale_health, minute=set(range(0, 60, SWEEP_EVERY_MINUTES)), unique=True),
        cron(psa_jobs.sweep_webhook_deliveries, minute=set(range(2, 60, SWEEP_EVERY_MINUTES)), unique=True),
        cron(jobs.sweep_report_deliveries, minute=set(range(4, 60, SWEEP_EVERY_MINUTES)), unique=True),
        cron(jobs.fold_tenant_versions, minute=41, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    timezone = dt.UTC
    max_tries = 5
    job_timeout = 300


def create_worker(settings: Settings, **overrides) -> Worker:
    """A worker for `settings`; `overrides` are arq `Worker` options (queue_name, burst, ...)."""
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL must be set for the worker (or run `fcio dev`).")
    options = {"redis_settings": redis_settings(settings.redis_url), "ctx": {"settings": settings}, **overrides}
    return arq_worker.create_worker(WorkerSettings, **options)


def run_worker(settings: Settings, **overrides) -> None:
    """Run the worker until SIGINT/SIGTERM (a running job is cancelled and retried later)."""
    create_worker(settings, **overrides).run()
