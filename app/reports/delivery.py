"""Queueing the executive report's deliveries: `sendExecutiveReport` and the monthly run.

A delivery is a row of `report_deliveries` (app/reports/models.py), unique per tenant, month and
recipient, so queueing is an INSERT ... ON CONFLICT DO NOTHING and then a job per row still
QUEUED, under the row's own id: queueing again, after a retry, a re-run or a second call, adds
no row and no job. A job lost on the way (Redis down after the commit) is enqueued again by the
sweeper (`sweep_queued`, a worker cron). The mail itself is sent by the worker (app/reports/mailing.py), so a slow or
refusing mail server never holds a request; the caller reads the outcome in `reportDeliveries`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from arq.connections import ArqRedis
from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.actions import record
from app.auth.principal import Principal
from app.db.queue import session_queue, use_queue
from app.db.scope import after_commit, in_batch, tenant_session
from app.errors import Forbidden, Invalid, Limit
from app.guards import visible_tenant
from app.health.models import HealthScore
from app.health.recompute import tenant_batches
from app.reports.models import DeliveryState, ReportDelivery
from app.tenants.models import Grant, Practice, Role, Tenant, TenantStatus, User
from app.validation import ADDRESS

DELIVER_REPORT = "deliver_executive_report"  # (tenant_id: str, delivery_id: str), workers/main.py
MAX_RECIPIENTS = 20


def job_id(delivery_id: uuid.UUID) -> str:
    return f"report-delivery:{delivery_id}"


def recipients_of(values: list[str]) -> list[str]:
    """The addresses lower-cased, each once, in the given order; INVALID names the first bad one."""
    if len(values) > MAX_RECIPIENTS:
        raise Limit(f"recipients takes at most {MAX_RECIPIENTS} addresses.", ["recipients"])
    clean = []
    for index, value in enumerate(values):
        address = value.strip().lower()
        if len(address) > 254 or not ADDRESS.fullmatch(address):
            raise Invalid(f"{value[:100]!r} is not an email address (name@example.com).", ["recipients", str(index)])
        if address not in clean:
            clean.append(address)
    return clean


def executives_query(tenant_ids: list[uuid.UUID]):
    """(tenant_id, email) of the tenants' client executives who get the report: enabled, not opted out."""
    return (
        select(Grant.tenant_id, User.email).join(User, User.id == Grant.user_id)
        .where(in_batch(Grant.tenant_id, tenant_ids), User.role == Role.CLIENT_EXECUTIVE, User.disabled_at.is_(None),
               User.report_opt_out.is_(False))
        .order_by(Grant.tenant_id, User.email)
    )


async def queue(session: AsyncSession, recipients: dict[uuid.UUID, list[str]], month: dt.date) -> list[ReportDelivery]:
    """The deliveries of `month` to the recipients of each tenant, added where missing; a job for
    each one QUEUED is enqueued after the commit (a lost enqueue is repaired by queueing again)."""
    rows = [{"tenant_id": t, "month": month, "recipient": r} for t, names in recipients.items() for r in names]
    if not rows:
        return []
    await session.execute(insert(ReportDelivery).values(rows).on_conflict_do_nothing())
    found = list(await session.scalars(
        select(ReportDelivery).where(in_batch(ReportDelivery.tenant_id, list(recipients)), ReportDelivery.month == month)
        .order_by(ReportDelivery.created_at.desc(), ReportDelivery.id.desc())))
    wanted = {(r["tenant_id"], r["recipient"]) for r in rows}
    deliveries = [d for d in found if (d.tenant_id, d.recipient) in wanted]
    enqueue_after_commit(session, [d for d in deliveries if d.state == DeliveryState.QUEUED])
    return deliveries


def enqueue_after_commit(session: AsyncSession, deliveries: list[ReportDelivery]) -> None:
    redis = session_queue(session)
    if redis is None or not deliveries:
        return
    keys = [(str(d.tenant_id), d.id) for d in deliveries]

    async def enqueue() -> None:
        await enqueue_jobs(redis, keys)

    after_commit(session, enqueue)


async def enqueue_jobs(redis: ArqRedis, keys: list[tuple[str, uuid.UUID]]) -> int:
    """One job per delivery, its id the delivery's: a job still queued or deferred is not doubled."""
    enqueued = 0
    for tenant_id, delivery_id in keys:
        enqueued += await redis.enqueue_job(DELIVER_REPORT, tenant_id, str(delivery_id), _job_id=job_id(delivery_id)) is not None
    return enqueued


async def has_score(session: AsyncSession, tenant_id: uuid.UUID, month: dt.date) -> bool:
    return await session.scalar(select(exists().where(HealthScore.tenant_id == tenant_id, HealthScore.month == month)))


async def send_executive_report(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, month: dt.date,
                                recipients: list[str] | None) -> list[ReportDelivery]:
    """Queue the report of `month` to `recipients` (default: the tenant's client executives who did
    not opt out) now, for practice admins and the tenant's CIOs. A recipient already SENT or QUEUED
    for that month keeps that delivery (one per recipient); a FAILED one is queued again, tries anew."""
    await visible_tenant(session, actor, tenant_id)
    if not (actor.kind == "user" and actor.role in (Role.PRACTICE_ADMIN, Role.CIO)):
        raise Forbidden("Only practice admins and CIOs send the executive report.")
    if not await has_score(session, tenant_id, month):
        raise Invalid(f"There is no health score for {month:%Y-%m}, so no report to send: compute it first.", ["month"])
    if recipients is None:
        names = [email for _, email in (await session.execute(executives_query([tenant_id]))).all()]
        if not names:
            raise Invalid("The tenant has no client executive to send the report to; name the recipients.",
                          ["recipients"])
    else:
        names = recipients_of(recipients)
        if not names:
            raise Invalid("Name at least one recipient, or leave recipients out for the client executives.",
                          ["recipients"])
    await session.execute(
        update(ReportDelivery).where(ReportDelivery.tenant_id == tenant_id, ReportDelivery.month == month,
                                     ReportDelivery.recipient.in_(names), ReportDelivery.state == DeliveryState.FAILED)
        .values(state=DeliveryState.QUEUED, attempts=0, error=None).execution_options(synchronize_session=False))
    deliveries = await queue(session, {tenant_id: names}, month)
    await record(session, actor, tenant_id, "report.send", "Tenant", tenant_id, None,
                 {"month": f"{month:%Y-%m}", "recipients": names})
    return deliveries


async def queue_scored_month(session: AsyncSession, tenant_ids: list[uuid.UUID], month: dt.date) -> list[ReportDelivery]:
    """The monthly run, for tenants whose `month` was just scored: one delivery per client executive
    of each that is active, scored and of a practice with the report on."""
    scored = select(HealthScore.tenant_id).where(HealthScore.month == month)
    on = list(await session.scalars(
        select(Tenant.id).join(Practice, Practice.id == Tenant.practice_id)
        .where(in_batch(Tenant.id, tenant_ids), Tenant.status == TenantStatus.ACTIVE, Practice.reports_enabled.is_(True),
               Tenant.id.in_(scored))))
    recipients: dict[uuid.UUID, list[str]] = {}
    for tenant_id, email in (await session.execute(executives_query(on))).all():
        recipients.setdefault(tenant_id, []).append(email)
    return await queue(session, recipients, month)


async def queue_scored_batch(redis: ArqRedis, sessionmaker: async_sessionmaker, tenant_ids: list[uuid.UUID],
                             month: dt.date) -> int:
    """`queue_scored_month` as the system, in a transaction of its own; how many deliveries it holds."""
    async with tenant_session(sessionmaker, tenant_ids) as session:
        use_queue(session, redis)
        return len(await queue_scored_month(session, tenant_ids, month))


async def sweep_queued(redis: ArqRedis, sessionmaker: async_sessionmaker, batch_size: int) -> int:
    """Enqueue the job of every delivery still QUEUED, batch by batch of active tenants (the rows
    are row-secured); returns how many were enqueued anew. A job still queued, deferred for a retry
    or running holds the delivery's id, so the sweep never doubles one."""
    enqueued = 0
    for batch in await tenant_batches(sessionmaker, batch_size):
        async with tenant_session(sessionmaker, batch) as session:
            waiting = (await session.execute(
                select(ReportDelivery.tenant_id, ReportDelivery.id)
                .where(in_batch(ReportDelivery.tenant_id, batch), ReportDelivery.state == DeliveryState.QUEUED))).all()
        enqueued += await enqueue_jobs(redis, [(str(t), d) for t, d in waiting])
    return enqueued
