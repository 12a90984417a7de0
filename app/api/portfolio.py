"""The CIO's portfolio: one row per visible tenant, a read model made of several areas.

It lives apart from the areas it reads (tenants, health, tickets, budgets, risks, steering) so
that they need not import each other: this module imports them, none of them imports it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import uuid
from fractions import Fraction

import strawberry
from sqlalchemy import Float, Numeric, Text, case, cast, func

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
from app.rules import is_sql

NO_SCORE = 101  # a row without a score sorts after every score
EXACT = Numeric(1000, 40)  # PostgreSQL divides numerics to the larger of the operands' scales (at least)


@strawberry.type
class PortfolioRow:
    """A row is built whole by `build_portfolio`: with 200 rows, resolving tenant, health and next
    meeting per row cost 600 asyncio tasks and dataloader calls a request (a fifth of its time)."""

    open_high_risks: int = strawberry.field(
        description=(
            "Risks open today with score >= 10 (high and critical, as in the formula): open, mitigating, "
            "or accepted until a day that has come."
        )
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


def tenth(value):
    """`value` to one decimal, half away from zero, as a float: 1.25 is 1.3, -1.25 is -1.3.

    `value` is a Fraction, or a SQL numeric (app/rules.py): PostgreSQL's `round(numeric, 1)`
    rounds the same way (Python's `round(float)` rounds the binary value, 1.25 to 1.2).
    """
    if is_sql(value):
        return cast(func.round(value, 1), Float)
    tenths = math.floor(abs(value) * 10 + Fraction(1, 2))
    return 0.0 if tenths == 0 else math.copysign(float(Fraction(tenths, 10)), value)


def variance_percent(planned, actual, months_elapsed):
    """Spend to date against the plan to date (the year's plan spread evenly over its 12 months), in
    percent to one decimal; None when nothing is planned to date (or there are no lines: planned is
    0, or NULL in SQL). Values or SQL expressions, computed exactly in both."""
    planned_twelfths = planned * months_elapsed
    over = (actual * 12 - planned_twelfths) * 100
    if is_sql(planned_twelfths):
        return case((planned_twelfths == 0, None), else_=tenth(cast(over, EXACT) / cast(planned_twelfths, EXACT)))
    return None if not planned_twelfths else tenth(Fraction(over) / Fraction(planned_twelfths))


def budget_variance_percent(i: formula.HealthInputs) -> float | None:
    return variance_percent(i.planned, i.actual, i.fiscal_months_elapsed)  # no lines: nothing planned


def average_score(total, count):
    """The mean of the rows' scores to one decimal (None without scores): values or SQL aggregates."""
    if is_sql(total, count):
        return case((count == 0, None), else_=tenth(cast(total, EXACT) / count))
    return tenth(Fraction(total, count)) if count else None


def row_order(score, tenant_id):
    """Worst score first, rows without a score last, then the tenant id as text: values (a sort key)
    or SQL expressions (an ORDER BY)."""
    if is_sql(score, tenant_id):
        return [func.coalesce(score, NO_SCORE), cast(tenant_id, Text).collate("C")]
    return (NO_SCORE if score is None else score, str(tenant_id))


async def build_portfolio(ctx: Context, month: dt.date) -> Portfolio:
    viewer = ctx.viewer
    gathered = await ctx.db.read(lambda s: gather_inputs(s, viewer.tenant_ids, month, viewer.practice_scope))
    ids = [g.tenant_id for g in gathered]
    scores = {s.tenant_id: s for s in await tenant_health_many(ctx, ids, month)}
    tenants = dict(zip(ids, await load_tenants(ctx, ids), strict=True))
    meetings = dict(zip(ids, await asyncio.gather(*(next_meeting(ctx, t) for t in ids)), strict=True))
    rows = []
    for g in gathered:
        i = g.inputs
        score = scores.get(g.tenant_id)
        rows.append((row_order(score.score if score else None, g.tenant_id), PortfolioRow(
            open_high_risks=g.open_high_risks, tickets_last_month=i.tickets,
            ticket_target=formula.ticket_target(i.employees), budget_variance_percent=budget_variance_percent(i),
            tenant=tenants[g.tenant_id], health=score_node(score) if score else None,
            next_steering_meeting=meetings[g.tenant_id],
        )))
    rows = [row for _, row in sorted(rows, key=lambda r: r[0])]
    values = [s.score for s in scores.values()]
    return Portfolio(month=month, tenant_count=len(rows), average_score=average_score(sum(values), len(values)), rows=rows)


async def tenant_health_many(ctx: Context, tenant_ids: list[uuid.UUID], month: dt.date) -> list:
    """The month's score (with the month before, for `change`) of every row at once (one statement)."""
    if not tenant_ids:
        return []
    return await ctx.db.rows(scores_query().where(ScoreRow.tenant_id.in_(tenant_ids), ScoreRow.month == month))


@strawberry.type
class PortfolioQueries:
    @strawberry.field(description="CIOs and practice admins: one row per visible tenant (default: last full month).")
    async def portfolio(self, info: Info, month: Month | None = None) -> Portfolio:
        require_staff(info.context)  # the compiled read leaves other viewers to this (permissions.staff)
        return await build_portfolio(info.context, month or last_full_month())
