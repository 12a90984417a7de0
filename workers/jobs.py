"""The job functions: each turns its arguments into app/ calls and nothing more.

Every job may run more than once (a retry after a crash, a duplicate enqueue): all of them are
idempotent. Plain exceptions are not retried by arq, so the errors that pass on their own (a
database or Redis hiccup, a deadlock between two overlapping batches) become `Retry`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid

from arq import Retry

from app.accounts.invitations import mail_invitation
from app.accounts.resets import mail_reset
from app.db import versions
from app.db.errors import transient
from app.db.scope import tenant_session
from app.health.actions import score_batch
from app.health.recompute import enqueue_month, sweep_stale, tenant_batches
from app.mail.send import MailError
from app.months import add_months, last_full_month, parse_month
from app.reports.delivery import queue_scored_batch, sweep_queued
from app.reports.mailing import deliver
from app.services import Services

log = logging.getLogger(__name__)


def retry_transient(job):
    """Turn a transient failure into arq's `Retry`, later each try (max_tries still bounds it)."""

    @functools.wraps(job)
    async def run(ctx, *args, **kwargs):
        try:
            return await job(ctx, *args, **kwargs)
        except Exception as error:
            if transient(error):
                raise Retry(defer=5 * ctx.get("job_try", 1)) from error
            raise

    return run


def services(ctx) -> Services:
    return ctx["services"]


def tenant_uuids(tenant_ids: list[str]) -> list[uuid.UUID]:
    return [uuid.UUID(t) for t in tenant_ids]


@retry_transient
async def score_health_batch(ctx, tenant_ids: list[str], month: str) -> int:
    """A batch of the monthly fan-out: once the month just closed is scored, its tenants' executive
    reports are queued (app/reports/delivery.py; a re-run queues nothing twice). A batch of an older
    month (rescored by hand) mails nothing: a report months late is not the monthly report."""
    s, tenants, scored_month = services(ctx), tenant_uuids(tenant_ids), parse_month(month)
    scored = await score_batch(s.sessionmaker, tenants, scored_month)
    if scored_month == last_full_month():
        await queue_scored_batch(ctx["redis"], s.sessionmaker, tenants, scored_month)
    return scored


@retry_transient
async def recompute_stale_health(ctx, tenant_id: str, month: str) -> int:
    return await score_batch(services(ctx).sessionmaker, tenant_uuids([tenant_id]), parse_month(month))


@retry_transient
async def recompute_requested_health(ctx, tenant_ids: list[str], month: str) -> int:
    """A user's request: may name every tenant they see, so it is scored batch by batch."""
    s = services(ctx)
    scored = 0
    for batch in await tenant_batches(s.sessionmaker, s.settings.health_batch_size, tenant_uuids(tenant_ids)):
        scored += await score_batch(s.sessionmaker, batch, parse_month(month))
    return scored


def closed_month(ctx) -> dt.date:
    """The month before the run's scheduled time (not the clock: a late retry scores the same month)."""
    scheduled = dt.datetime.fromtimestamp(ctx["score"] / 1000, dt.UTC)
    return add_months(scheduled.date().replace(day=1), -1)


@retry_transient
async def score_closed_month(ctx) -> int:
    """Cron, the 1st of each month: one batch job per `health_batch_size` active tenants."""
    s = services(ctx)
    return await enqueue_month(ctx["redis"], s.sessionmaker, closed_month(ctx), s.settings.health_batch_size)


@retry_transient
async def sweep_stale_health(ctx) -> int:
    """Cron, every few minutes: enqueue a recompute for every stale mark still left."""
    s = services(ctx)
    return await sweep_stale(ctx["redis"], s.sessionmaker, s.settings.health_batch_size)


@retry_transient
async def fold_tenant_versions(ctx) -> int:
    """Cron, hourly: keep the change counters' rows few (app/db/versions.py); no sum changes."""
    async with tenant_session(services(ctx).sessionmaker, ()) as session:
        return await versions.fold(session)


@retry_transient
async def deliver_executive_report(ctx, tenant_id: str, delivery_id: str) -> str | None:
    """One report delivery (app/reports/mailing.py); a temporary refusal comes back later, as arq's `Retry`."""
    outcome = await deliver(services(ctx), uuid.UUID(tenant_id), uuid.UUID(delivery_id))
    if outcome.retry_in is not None:
        raise Retry(defer=outcome.retry_in)
    return outcome.state


@retry_transient
async def sweep_report_deliveries(ctx) -> int:
    """Cron, every few minutes: enqueue the job of every report delivery still QUEUED whose job was lost."""
    s = services(ctx)
    return await sweep_queued(ctx["redis"], s.sessionmaker, s.settings.health_batch_size)


def mail_retry(job):
    """A link's mail: a temporary refusal is tried again later (arq's `Retry`), a permanent one is logged."""

    @functools.wraps(job)
    async def run(ctx, *args):
        try:
            return await job(ctx, *args)
        except MailError as error:
            if error.temporary:
                raise Retry(defer=60 * ctx.get("job_try", 1)) from error
            log.error("a link's mail was refused for good: %s", error)
            return False

    return run


@retry_transient
@mail_retry
async def mail_invitation_link(ctx, invitation_id: str) -> bool:
    """An invitation's link (app/accounts/invitations.py); nothing when it was voided, accepted or expired."""
    return await mail_invitation(services(ctx), uuid.UUID(invitation_id))


@retry_transient
@mail_retry
async def mail_password_reset(ctx, email: str, address: str) -> bool:
    """A reset link when `email` has an enabled account, nothing otherwise (app/accounts/resets.py)."""
    return await mail_reset(services(ctx), email, address)
