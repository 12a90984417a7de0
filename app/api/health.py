"""Health scores on a tenant, the CIO's portfolio, recompute requests and practice weights."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy import Date, and_, cast, func, select, text, tuple_
from sqlalchemy.orm import aliased

from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.mutations import perform
from app.api.permissions import require_staff, tenant_key
from app.api.scalars import Month
from app.health.models import HealthScore as ScoreRow
from app.risks.models import Risk, RiskStatus
from app.validation import add_months, month_start

PREVIOUS = aliased(ScoreRow, name="previous")
HIGH_RISK_SCORE = 12  # API.md: PortfolioRow.openHighRisks counts open risks with score >= 12


@strawberry.enum
class HealthBand(Enum):
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"


@strawberry.type
class HealthComponent:
    key: str = strawberry.field(description="tickets | budget | risks | plan | steering | policies")
    score: int | None
    weight: float
    explanation: str


@strawberry.type
class HealthScore:
    month: Month
    score: int
    band: HealthBand
    change: int | None = strawberry.field(description="Against the month before; null if none.")
    components: list[HealthComponent]
    computed_at: dt.datetime
    formula_version: int


def score_node(row) -> HealthScore:
    return HealthScore(
        month=row.month,
        score=row.score,
        band=HealthBand(row.band),
        change=None if row.previous_score is None else row.score - row.previous_score,
        components=[
            HealthComponent(key=c["key"], score=c["score"], weight=c["weight"], explanation=c["explanation"])
            for c in row.components
        ],
        computed_at=row.computed_at,
        formula_version=row.formula_version,
    )


def scores_query():
    """Scores with the previous month's score beside them, for `change`."""
    return select(ScoreRow.__table__, PREVIOUS.score.label("previous_score")).outerjoin(
        PREVIOUS,
        and_(PREVIOUS.tenant_id == ScoreRow.tenant_id, PREVIOUS.month == cast(ScoreRow.month - text("interval '1 month'"), Date)),
    )


async def tenant_health(ctx: Context, tenant_id: uuid.UUID, month: dt.date | None) -> HealthScore | None:
    if month is None:
        async def latest(keys: list) -> list:
            rows = await ctx.db.rows(
                scores_query()
                .where(ScoreRow.tenant_id.in_(keys))
                .distinct(ScoreRow.tenant_id)
                .order_by(ScoreRow.tenant_id, ScoreRow.month.desc())
            )
            found = {r.tenant_id: score_node(r) for r in rows}
            return [found.get(k) for k in keys]

        return await ctx.loader("LatestHealthByTenant", latest).load(tenant_id)

    return await month_loader(ctx).load((tenant_id, month))


def month_loader(ctx: Context):
    """`HealthByTenantMonthLoader`: scores keyed by (tenant id, month)."""

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(scores_query().where(tuple_(ScoreRow.tenant_id, ScoreRow.month).in_(keys)))
        found = {(r.tenant_id, r.month): score_node(r) for r in rows}
        return [found.get(k) for k in keys]

    return ctx.loader("HealthByTenantMonth", batch)


async def tenant_health_history(ctx: Context, tenant_id: uuid.UUID, from_: dt.date, to: dt.date) -> list[HealthScore]:
    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(
            scores_query()
            .where(ScoreRow.tenant_id.in_(keys), ScoreRow.month.between(from_, to))
            .order_by(ScoreRow.tenant_id, ScoreRow.month)
        )
        grouped: dict = {k: [] for k in keys}
        for r in rows:
            grouped[r.tenant_id].append(score_node(r))
        return [grouped[k] for k in keys]

    return await ctx.loader(("HealthHistoryByTenant", from_, to), batch).load(tenant_id)


def last_full_month(today: dt.date | None = None) -> dt.date:
    return add_months(month_start(today or dt.date.today()), -1)


# ---- portfolio --------------------------------------------------------------------------------

@strawberry.type
class PortfolioRow:
    """A row is built whole by `build_portfolio`: with 200 rows, resolving tenant, health and next
    meeting per row cost 600 asyncio tasks and dataloader calls a request (a fifth of its time)."""

    open_high_risks: int = strawberry.field(description="Open or mitigating risks with score >= 12.")
    tickets_last_month: int | None
    ticket_target: int
    budget_variance_percent: float | None = strawberry.field(
        description="Actual spend to date against plan to date in the fiscal year, in percent."
    )
    tenant: Annotated[Tenant, strawberry.lazy("app.api.tenants")]  # noqa: F821
    health: HealthScore | None
    next_steering_meeting: Annotated[SteeringMeeting, strawberry.lazy("app.api.steering")] | None  # noqa: F821


@strawberry.type
class Portfolio:
    month: Month
    tenant_count: int
    average_score: float | None
    rows: list[PortfolioRow] = strawberry.field(description="Worst score first; tenants without a score last.")


async def build_portfolio(ctx: Context, month: dt.date) -> Portfolio:
    from app.api.steering import next_meeting
    from app.api.tenants import load_tenants
    from app.health.formula import ticket_target
    from app.health.inputs import gather_inputs

    tenant_ids = sorted(ctx.viewer.tenant_ids)
    gathered = await ctx.db.read(lambda s: gather_inputs(s, tenant_ids, month))
    ids = [g.tenant_id for g in gathered]
    high = dict(
        (await ctx.db.rows(
            select(Risk.tenant_id, func.count())
            .where(Risk.tenant_id.in_(ids), Risk.status.in_([RiskStatus.OPEN, RiskStatus.MITIGATING]), Risk.score >= HIGH_RISK_SCORE)
            .group_by(Risk.tenant_id)
        )) if ids else []
    )
    scores = {s.tenant_id: s for s in await tenant_health_many(ctx, ids, month)}
    tenants = dict(zip(ids, await load_tenants(ctx, ids), strict=True))
    meetings = dict(zip(ids, await asyncio.gather(*(next_meeting(ctx, t) for t in ids)), strict=True))
    rows = []
    for g in gathered:
        i = g.inputs
        planned_to_date = i.planned * i.fiscal_months_elapsed / 12
        variance = float((i.actual - planned_to_date) / planned_to_date * 100) if i.budget_lines and planned_to_date else None
        score = scores.get(g.tenant_id)
        rows.append((score.score if score else 101, str(g.tenant_id), PortfolioRow(
            open_high_risks=high.get(g.tenant_id, 0), tickets_last_month=i.tickets, ticket_target=ticket_target(i.employees),
            budget_variance_percent=None if variance is None else round(variance, 1),
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
class HealthQueries:
    @strawberry.field(description="CIOs and practice admins: one row per visible tenant (default: last full month).")
    async def portfolio(self, info: Info, month: Month | None = None) -> Portfolio:
        require_staff(info.context)
        return await build_portfolio(info.context, month or last_full_month())

    @strawberry.field(description="A recompute you requested: QUEUED, RUNNING, DONE or FAILED. Null for anyone else's.")
    async def health_recompute_job(self, info: Info, id: str) -> HealthRecomputeJob | None:
        from app.health.recompute import job_status

        status = await job_status(info.context.services.redis, info.context.viewer, id)
        return None if status is None else HealthRecomputeJob(
            id=id, status=status.status, tenant_count=status.tenant_count, error=status.reason
        )


@strawberry.type
class HealthRecomputeJob:
    id: str
    status: str = strawberry.field(description="QUEUED | RUNNING | DONE | FAILED")
    tenant_count: int | None
    error: str | None


@strawberry.input
class RequestHealthRecomputeInput:
    tenant_id: strawberry.ID | None = None
    month: Month


@strawberry.type
class HealthRecomputePayload:
    job_id: str | None
    user_errors: list[UserError]


@strawberry.input
class SetHealthWeightsInput:
    tickets: float
    risks: float
    budget: float
    plan: float
    policies: float
    steering: float


@strawberry.type
class HealthWeights:
    tickets: float
    risks: float
    budget: float
    plan: float
    policies: float
    steering: float


@strawberry.type
class HealthWeightsPayload:
    weights: HealthWeights | None
    user_errors: list[UserError]


@strawberry.type
class HealthMutations:
    @strawberry.mutation(description="Score a month again now: one tenant, or every tenant you can see.")
    async def request_health_recompute(self, info: Info, input: RequestHealthRecomputeInput) -> HealthRecomputePayload:
        from app.health.recompute import enqueue_recompute
        from app.tenants.actions import require_writer

        ctx = info.context

        async def work(_session):
            require_writer(ctx.viewer)
            tenant_ids = [tenant_key(ctx, input.tenant_id)] if input.tenant_id is not None else sorted(ctx.viewer.tenant_ids)
            return await enqueue_recompute(ctx.services.redis, ctx.viewer, tenant_ids, input.month)

        job_id, errors = await perform(ctx, work)
        return HealthRecomputePayload(job_id=job_id, user_errors=errors)

    @strawberry.mutation(description="Practice admins: the weights of the six components (they must sum to 1).")
    async def set_health_weights(self, info: Info, input: SetHealthWeightsInput) -> HealthWeightsPayload:
        from app.health.actions import set_health_weights

        ctx = info.context
        weights = {k: getattr(input, k) for k in ("tickets", "risks", "budget", "plan", "policies", "steering")}
        saved, errors = await perform(ctx, lambda s: set_health_weights(s, ctx.user_viewer(), weights))
        return HealthWeightsPayload(weights=HealthWeights(**weights) if saved is not None else None, user_errors=errors)
