"""Sending one report delivery: the worker's job (`deliver_executive_report`, workers/jobs.py).

The job claims the row (`attempts + 1 ... WHERE state = 'QUEUED'`), gathers the report, renders
the PDF, mails it and settles the row, all in one transaction: the claim's row lock keeps a
second run of the same delivery waiting, and once the first commits SENT the second claims
nothing. A delivery is therefore SENT at most once in the database. The mail itself is sent
at least once: a worker killed after the server accepted the mail and before the commit leaves
the row QUEUED, and arq runs the job again. Every try carries the same Message-ID (the delivery's
id), so the recipient's mail system can tell the copy for what it is.

The report is read as the mailed link reads it (`links.link_reader`: a client executive of that
one tenant): the PDF attached holds exactly what the link in the same mail opens. That reader is
the same for every recipient of a tenant and month, so the worker renders the PDF once for all
of them (`Rendered`): each delivery still gathers the report in its own transaction, and the PDF
rendered last for that tenant and month is attached only when the report gathered is equal to
the one it was rendered from (no clock or counter to trust: what the mail shows is compared).
The schema is built once per process, not per mail (~70 ms, and the validated document is kept per schema).

A temporary refusal (4xx, a server that cannot be reached) leaves the row QUEUED with the answer
in `error` and asks for a retry after `settings.report_retry_seconds[attempts - 1]`; after the last
wait, or at once for a permanent refusal (5xx, TLS), the row is FAILED with the server's answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from app.api.schema import build_schema
from app.db.scope import set_tenants, tenant_session
from app.errors import NotFound
from app.mail.send import MailError, send_message
from app.reports import formats, links
from app.reports.content import Report
from app.reports.gather import ReportFailed, gather
from app.reports.models import DeliveryState, ReportDelivery
from app.services import Services
from app.tenants.models import Tenant

log = logging.getLogger(__name__)
RENDERED_KEPT = 64  # tenants whose deliveries a worker runs at once: far fewer than this


@functools.cache
def report_schema(production: bool):
    return build_schema(production)


class Rendered:
    """The PDFs rendered last in this process, per (tenant, month), with the report each was rendered
    from. A tenant's deliveries run side by side in the worker, so a render under way is shared too."""

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()

    async def pdf(self, report: Report, key: tuple) -> bytes:
        found = self._entries.get(key)
        if found is None or found[0] != report:
            found = (report, asyncio.ensure_future(run_in_threadpool(formats.render, report, "pdf")))
            self._entries[key] = found
            while len(self._entries) > RENDERED_KEPT:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        try:
            return await asyncio.shield(found[1])  # a delivery cancelled does not cancel the others' render
        except Exception:
            if self._entries.get(key) is found:
                del self._entries[key]  # a failed render is not kept
            raise


RENDERED = Rendered()


@dataclass(frozen=True)
class Outcome:
    state: DeliveryState | None  # None: nothing to send (already settled, or gone)
    retry_in: float | None = None  # seconds, when a temporary failure is to be tried again


def message_id(delivery_id: uuid.UUID, public_url: str) -> str:
    return f"<report-delivery.{delivery_id}@{urlsplit(public_url).hostname or 'localhost'}>"


def compose(services: Services, delivery: ReportDelivery, report: Report, pdf: bytes, secret: str) -> EmailMessage:
    """The mail: subject with the tenant and month, a short text with the signed link, the PDF."""
    token = links.issue(secret, delivery.tenant_id, delivery.month, delivery.recipient)
    url = links.report_url(services.settings.public_url, delivery.tenant_id, delivery.month, "html", access=token)
    mail = EmailMessage()
    mail["To"] = delivery.recipient
    mail["Subject"] = f"{report.tenant}: IT report for {delivery.month:%B %Y}"
    mail["Message-ID"] = message_id(delivery.id, services.settings.public_url)
    mail.set_content(
        f"The IT report of {report.tenant} for {delivery.month:%B %Y} is attached as a PDF.\n\n"
        f"Read it in your browser (the link works for {links.LINK_DAYS} days):\n{url}\n")
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename=formats.file_name(report, "pdf"))
    return mail


async def claim(session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> ReportDelivery | None:
    """The delivery, its try counted and its row locked until the commit; None unless QUEUED."""
    claimed = await session.execute(
        update(ReportDelivery).where(ReportDelivery.tenant_id == tenant_id, ReportDelivery.id == delivery_id,
                                     ReportDelivery.state == DeliveryState.QUEUED)
        .values(attempts=ReportDelivery.attempts + 1, updated_at=func.now())
        .returning(ReportDelivery).execution_options(synchronize_session=False))
    return claimed.scalar_one_or_none()


async def report_pdf(services: Services, session: AsyncSession, delivery: ReportDelivery, practice_id: uuid.UUID
                     ) -> tuple[Report, bytes] | None:
    """The report as the recipient's link reads it, and its PDF; None when there is none to send (no
    score, or a report that fails to build): the delivery is FAILED, not tried again and again."""
    reader = links.link_reader(practice_id, delivery.tenant_id)
    await set_tenants(session, *reader.scope())
    try:
        report = await gather(services, session, report_schema(services.settings.is_production), reader,
                              delivery.tenant_id, delivery.month)
    except NotFound:
        return None
    except ReportFailed:
        log.exception("the report of delivery %s could not be built", delivery.id)
        return None
    if report.score is None:
        return None
    return report, await RENDERED.pdf(report, (delivery.tenant_id, delivery.month))


def settle(delivery: ReportDelivery, retries: list[float], error: MailError | None) -> Outcome:
    if error is None:
        delivery.state, delivery.sent_at, delivery.error = DeliveryState.SENT, dt.datetime.now(dt.UTC), None
        return Outcome(DeliveryState.SENT)
    delivery.error = error.answer
    if error.temporary and delivery.attempts <= len(retries):
        return Outcome(DeliveryState.QUEUED, retry_in=retries[delivery.attempts - 1])
    delivery.state = DeliveryState.FAILED
    return Outcome(DeliveryState.FAILED)


async def deliver(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> Outcome:
    """Send one delivery if it is still QUEUED, and record how it went (see the module's text)."""
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        delivery = await claim(session, tenant_id, delivery_id)
        if delivery is None:
            return Outcome(None)
        tenant = await session.get(Tenant, tenant_id)
        secret = await links.secret_of(session, tenant_id)
        made = await report_pdf(services, session, delivery, tenant.practice_id)
        if made is None:
            delivery.state, delivery.error = DeliveryState.FAILED, f"No report could be built for {delivery.month:%Y-%m}."
            return Outcome(DeliveryState.FAILED)
        try:
            await send_message(services.settings, compose(services, delivery, *made, secret))
        except MailError as error:
            return settle(delivery, services.settings.report_retry_seconds, error)
        return settle(delivery, services.settings.report_retry_seconds, None)
