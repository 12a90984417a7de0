"""The executive report's deliveries: `ReportDelivery`, `Tenant.reportDeliveries`, `sendExecutiveReport`,
and who the monthly run mails: `setReportDelivery` (the practice's switch), `setReportOptOut` (a user's own),
read back by `reportDeliveryEnabled` and `reportOptOut`.

Practice admins (any tenant of the practice) and the tenant's CIOs; client executives and API
keys are FORBIDDEN (the list names the client's people and the mail server's answers). The two
settings are read by signed-in users only (an API key has no account and is no one's reader). A tenant
the viewer may not see is NOT_FOUND, as everywhere. Sending queues: the payload's deliveries are
QUEUED (or as they stood, for a recipient already served that month) and the worker sends them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from sqlalchemy import select

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import row_by_key
from app.api.mutations import perform
from app.api.node import Node, from_row, resolves
from app.api.permissions import require_staff, staff, tenant_key
from app.api.scalars import Month
from app.months import last_full_month
from app.reports import delivery, preferences
from app.reports import models as m
from app.validation import int_range

DeliveryState = strawberry.enum(m.DeliveryState, name="DeliveryState")
DELIVERIES = m.ReportDelivery.__table__
MAX_LISTED = 100


@strawberry.type(description="One mail of the executive report of one month to one recipient.")
class ReportDelivery(Node):
    id: strawberry.ID
    month: Month
    recipient: str
    state: DeliveryState
    sent_at: dt.datetime | None
    error: str | None = strawberry.field(description="The mail server's answer to the last failed try.")


def delivery_node(row) -> ReportDelivery:
    return from_row(ReportDelivery, row, id=ids.encode("ReportDelivery", row.id, row.tenant_id))


@resolves("ReportDelivery")
async def _delivery_by_key(ctx: Context, key: ids.Key) -> ReportDelivery | None:
    if not staff(ctx.viewer):
        return None
    row = await row_by_key(ctx, m.ReportDelivery, key.tenant_id, key.id)
    return delivery_node(row) if row else None


async def tenant_deliveries(ctx: Context, tenant_id: uuid.UUID, first: int | None) -> list[ReportDelivery]:
    """Newest first (by when they were queued)."""
    require_staff(ctx)
    limit = int_range(20 if first is None else first, "first", 1, MAX_LISTED)
    rows = await ctx.db.rows(select(DELIVERIES).where(DELIVERIES.c.tenant_id == tenant_id)
                             .order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id.desc()).limit(limit))
    return [delivery_node(r) for r in rows]


@strawberry.input
class SendExecutiveReportInput:
    tenant_id: strawberry.ID
    month: Month | None = strawberry.field(default=None, description="Default: the last full month.")
    recipients: list[str] | None = strawberry.field(default=None, description=(
        f"Email addresses, at most {delivery.MAX_RECIPIENTS}. Default: the tenant's client executives "
        "(those who did not opt out)."))


@strawberry.type
class SendExecutiveReportPayload:
    deliveries: list[ReportDelivery]
    user_errors: list[UserError]


@strawberry.input
class SetReportDeliveryInput:
    enabled: bool = strawberry.field(description="false: the monthly run mails none of the practice's tenants' executives.")


@strawberry.type
class SetReportDeliveryPayload:
    enabled: bool | None
    user_errors: list[UserError]


@strawberry.input
class SetReportOptOutInput:
    opt_out: bool = strawberry.field(description="true: no monthly report by mail for the viewer.")


@strawberry.type
class SetReportOptOutPayload:
    opt_out: bool | None
    user_errors: list[UserError]


@strawberry.type
class DeliveryQueries:
    @strawberry.field(description="Whether the monthly run mails the executive report for the viewer's practice "
                                  "(`setReportDelivery`). Signed-in users.")
    async def report_delivery_enabled(self, info: Info) -> bool:
        viewer = info.context.user_viewer()
        return await info.context.db.read(lambda s: preferences.reports_enabled(s, viewer))

    @strawberry.field(description="Whether the viewer opted out of the monthly report by mail (`setReportOptOut`).")
    async def report_opt_out(self, info: Info) -> bool:
        viewer = info.context.user_viewer()
        return await info.context.db.read(lambda s: preferences.report_opt_out(s, viewer))


@strawberry.type
class DeliveryMutations:
    @strawberry.mutation(description="CIOs and admins. Default recipients: the tenant's client executives.")
    async def send_executive_report(self, info: Info, input: SendExecutiveReportInput) -> SendExecutiveReportPayload:
        ctx = info.context

        async def work(session):
            return await delivery.send_executive_report(
                session, ctx.user_viewer(), tenant_key(ctx, input.tenant_id), input.month or last_full_month(),
                input.recipients)

        deliveries, errors = await perform(ctx, work)
        return SendExecutiveReportPayload(deliveries=[delivery_node(d) for d in deliveries or []], user_errors=errors)

    @strawberry.mutation(description="Practice admins: the monthly executive report by mail, on (the default) or off.")
    async def set_report_delivery(self, info: Info, input: SetReportDeliveryInput) -> SetReportDeliveryPayload:
        ctx = info.context
        enabled, errors = await perform(ctx, lambda s: preferences.set_reports_enabled(s, ctx.user_viewer(), input.enabled))
        return SetReportDeliveryPayload(enabled=enabled, user_errors=errors)

    @strawberry.mutation(description="The viewer's own account: opt out of (or back into) the monthly report by mail.")
    async def set_report_opt_out(self, info: Info, input: SetReportOptOutInput) -> SetReportOptOutPayload:
        ctx = info.context
        opt_out, errors = await perform(ctx, lambda s: preferences.set_report_opt_out(s, ctx.user_viewer(), input.opt_out))
        return SetReportOptOutPayload(opt_out=opt_out, user_errors=errors)
