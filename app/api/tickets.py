"""Ticket figures by month, hand-entered figures and the bulk ticket push for scripts and PSAs."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from sqlalchemy import select

from app.api.context import Context, Info
from app.api.errors import UserError, user_errors
from app.api.mutations import perform
from app.api.permissions import tenant_key
from app.api.scalars import Month
from app.guards import visible_tenant
from app.health import formula
from app.months import add_months
from app.tickets import actions
from app.tickets.figures import month_figures
from app.tickets.models import TicketCategory as CategoryModel
from app.tickets.models import TicketMonth as MonthRow

TicketCategory = strawberry.enum(CategoryModel, name="TicketCategory")
MAX_MONTHS = 120


@strawberry.type
class TicketMonth:
    month: Month
    support: int
    change: int
    alert: int
    total: int
    target: int = strawberry.field(description="One ticket a month per five employees (at least 1).")


async def tenant_ticket_metrics(
    ctx: Context, tenant_id: uuid.UUID, employees: int, from_: dt.date, to: dt.date
) -> list[TicketMonth]:
    """Months with figures in [from, to] (hand-entered figures win over PSA counts, as in the score)."""
    if to < from_ or add_months(from_, MAX_MONTHS) <= to:
        return []

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(
            select(MonthRow.tenant_id, MonthRow.month, *month_figures())
            .where(MonthRow.tenant_id.in_(keys), MonthRow.month.between(from_, to))
            .group_by(MonthRow.tenant_id, MonthRow.month)
            .order_by(MonthRow.tenant_id, MonthRow.month)
        )
        grouped: dict = {k: [] for k in keys}
        for r in rows:
            grouped[r.tenant_id].append(r)
        return [grouped[k] for k in keys]

    rows = await ctx.loader(("TicketMonthsByTenant", from_, to), batch).load(tenant_id)
    return [month_node(r, employees) for r in rows]


def month_node(row, employees: int) -> TicketMonth:
    support, change, alert = int(row.support), int(row.change), int(row.alert)
    return TicketMonth(
        month=row.month, support=support, change=change, alert=alert, total=support + change + alert,
        target=formula.ticket_target(employees),
    )


@strawberry.input
class RecordTicketMetricsInput:
    tenant_id: strawberry.ID
    month: Month
    support: int
    change: int
    alert: int


@strawberry.type
class TicketMonthPayload:
    ticket_month: TicketMonth | None
    user_errors: list[UserError]


@strawberry.input
class TicketInput:
    external_id: str
    category: TicketCategory
    priority: str | None = None
    title: str | None = None
    opened_at: dt.datetime
    closed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@strawberry.input
class IngestTicketsInput:
    tenant_id: strawberry.ID
    source: str
    tickets: list[TicketInput] = strawberry.field(description="At most 1,000.")


@strawberry.type
class IngestTicketsPayload:
    accepted: int = strawberry.field(description="Tickets stored or updated.")
    user_errors: list[UserError] = strawberry.field(description='The bad ticket\'s field: ["tickets", "3", "openedAt"].')


@strawberry.type
class TicketMutations:
    @strawberry.mutation(description="Sets (replaces) the month's hand-entered figures.")
    async def record_ticket_metrics(self, info: Info, input: RecordTicketMetricsInput) -> TicketMonthPayload:
        ctx = info.context

        async def work(session):
            tenant_id = tenant_key(ctx, input.tenant_id)
            await actions.record_ticket_metrics(
                session, ctx.viewer, tenant_id, input.month, input.support, input.change, input.alert
            )
            return await visible_tenant(session, ctx.viewer, tenant_id)

        tenant, errors = await perform(ctx, work)
        if errors:
            return TicketMonthPayload(ticket_month=None, user_errors=errors)
        months = await tenant_ticket_metrics(ctx, tenant.id, tenant.employee_count, input.month, input.month)
        return TicketMonthPayload(ticket_month=months[0] if months else None, user_errors=[])

    @strawberry.mutation(description="API keys, admins and CIOs: upsert up to 1,000 tickets by external id.")
    async def ingest_tickets(self, info: Info, input: IngestTicketsInput) -> IngestTicketsPayload:
        ctx = info.context
        tickets = [
            actions.TicketInput(
                external_id=t.external_id, category=t.category.value, opened_at=t.opened_at, priority=t.priority,
                title=t.title, closed_at=t.closed_at, updated_at=t.updated_at,
            )
            for t in input.tickets[: actions.MAX_BATCH + 1]
        ]

        async def work(session):
            return await actions.ingest_tickets(session, ctx.viewer, tenant_key(ctx, input.tenant_id), input.source, tickets)

        result, errors = await perform(ctx, work)
        if result is None:
            return IngestTicketsPayload(accepted=0, user_errors=errors)
        return IngestTicketsPayload(
            accepted=result.accepted, user_errors=[e for error in result.errors for e in user_errors(error)]
        )
