"""The CIO's portfolio: one row per visible tenant, a read model made of several areas.

It lives apart from the areas it reads (tenants, health, tickets, budgets, risks, steering) so
that they need not import each other: this module imports them, none of them imports it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import strawberry

from app.api.context import Context, Info
from app.api.health import HealthScore, score_node, scores_query
from app.api.permissions import require_staff
from app.api.scalars import Month
from app.api.steering import SteeringMeeting, next_meeting
from app.api.tenants import Tenant, load_tenants
from app.health import formula
from app.health.inputs import gather_inputs
from app.health.models import HealthScore as ScoreRow
from app.months import last_full_month


@strawberry.type
class PortfolioRow:
    """A row is built whole by `build_portfolio`: with 200 rows, resolving tenant, health and next
    meeting per row cost 600 asyncio tasks and dataloader calls a request (a fifth of its time)."""

    open_high_risks: int = strawberry.field(
        description="Open or mitigating risks with score >= 10 (high and critical, as in the formula)."
    )
    tickets_last_month: int | None
    ticket_target: int
    budget_variance_percent: float | None = strawberry.field(
        description="Actual spend to date against plan to date in the fiscal year, in percent."
    )
    tenant: Tenant
    health: HealthScore | None
    next_steering_meeting: SteeringMeeting | None


@strawberry.type
class Portfolio:
    month: Month
    tenant_count: int
    average_score: float | None
    rows: list[PortfolioRow] = strawberry.field(description="Worst score first; tenants without a score last.")


def budget_variance_percent(i: formula.HealthInputs) -> float | None:
    """Spend to date against the plan to date (the plan spread evenly over the fiscal year)."""
    planned_to_date = i.planned * i.fiscal_months_elapsed / 12
    if not i.budget_lines or not planned_to_date:
        return None
    return round(float((i.actual - planned_to_date) / planned_to_date * 100), 1)


async def build_portfolio(ctx: Context, month: dt.date) -> Portfolio:
    tenant_ids = sorted(ctx.viewer.tenant_ids)
    gathered = await ctx.db.read(lambda s: gather_inputs(s, tenant_ids, month))
    ids = [g.tenant_id for g in gathered]
    scores = {s.tenant_id: s for s in await tenant_health_many(ctx, ids, month)}
    tenants = dict(zip(ids, await load_tenants(ctx, ids), strict=True))
    meetings = dict(zip(ids, await asyncio.gather(*(next_meeting(ctx, t) for t in ids)), strict=True))
    rows = []
    for g in gathered:
        i = g.inputs
        score = scores.get(g.tenant_id)
        rows.append((score.score if score else 101, str(g.tenant_id), PortfolioRow(
            # The formula's levels: high and critical are the open or mitigating risks at score >= 10.
            open_high_risks=i.critical_risks + i.high_risks, tickets_last_month=i.tickets,
            ticket_target=formula.ticket_target(i.employees), budget_variance_percent=budget_variance_percent(i),
            tenant=tenants[g.tenant_id], health=score_node(score) if score else None,
            next_steering_meeting=meetings[g.tenant_id],
        )))
    rows = [row for *_, row in sorted(rows, key=lambda r: (r[0], r[1]))]
    values = [s.score for s in scores.values()]
    return Portfolio(
        month=month, tenant_count=len(rows), average_score=round(sum(values) / len(values), 1) if values else None, rows=rows
    )


async def tenant_health_many(ctx: Context, tenant_ids: list[uuid.UUID], month: dt.date) -> list:
    """The month's score (with the month before, for `change`) of every row at once (one statement)."""
    if not tenant_ids:
        return []
    return await ctx.db.rows(scores_query().where(ScoreRow.tenant_id.in_(tenant_ids), ScoreRow.month == month))


@strawberry.type
class PortfolioQueries:
    @strawberry.field(description="CIOs and practice admins: one row per visible tenant (default: last full month).")
    async def portfolio(self, info: Info, month: Month | None = None) -> Portfolio:
        require_staff(info.context)
        return await build_portfolio(info.context, month or last_full_month())
