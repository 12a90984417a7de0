"""Health scores on a tenant, the CIO's portfolio, recompute requests and practice weights."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum

import strawberry
from sqlalchemy import Date, and_, cast, select, text, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased

from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.mutations import perform
from app.api.permissions import tenant_key
from app.api.scalars import Month
from app.health import formula
from app.health.actions import set_health_weights
from app.health.models import HealthScore as ScoreRow
from app.health.recompute import enqueue_recompute, job_status

SCORES = ScoreRow.__table__
PREVIOUS = aliased(ScoreRow, name="previous")


@strawberry.enum
class HealthBand(Enum):
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"


@strawberry.type
class HealthComponent:
    key: str = strawberry.field(
        description="tickets | budget | risks | plan | steering | policies | alignment | lifecycle (formula version 2)"
    )
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
    formula_version: int = strawberry.field(
        description="The formula the score was computed with: 2 from now on; stored version-1 scores stay 1."
    )


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
                .ext(distinct_on(ScoreRow.tenant_id))
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


def history_window(t, from_: dt.date, to: dt.date) -> list:
    """`Tenant.healthHistory(from, to)`: the months from `from` to `to`, both included (table `t` or an alias)."""
    return [t.c.month.between(from_, to)]


def history_order(t) -> list:
    return [t.c.month]


async def tenant_health_history(ctx: Context, tenant_id: uuid.UUID, from_: dt.date, to: dt.date) -> list[HealthScore]:
    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(
            scores_query()
            .where(ScoreRow.tenant_id.in_(keys), *history_window(SCORES, from_, to))
            .order_by(ScoreRow.tenant_id, *history_order(SCORES))
        )
        grouped: dict = {k: [] for k in keys}
        for r in rows:
            grouped[r.tenant_id].append(score_node(r))
        return [grouped[k] for k in keys]

    return await ctx.loader(("HealthHistoryByTenant", from_, to), batch).load(tenant_id)


@strawberry.type
class HealthQueries:
    @strawberry.field(description="A recompute you requested: QUEUED, RUNNING, DONE or FAILED. Null for anyone else's.")
    async def health_recompute_job(self, info: Info, id: str) -> HealthRecomputeJob | None:
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


@strawberry.input(description=(
    "All eight weights, summing to 1; or version 1's six alone (summing to 1), carried over: scaled to 0.75, "
    "with alignment 0.15 and lifecycle 0.10 added."
))
class SetHealthWeightsInput:
    tickets: float
    risks: float
    budget: float
    plan: float
    policies: float
    steering: float
    alignment: float | None = None
    lifecycle: float | None = None


@strawberry.type(description="The eight weights the practice's scores are computed with.")
class HealthWeights:
    tickets: float
    risks: float
    budget: float
    plan: float
    policies: float
    steering: float
    alignment: float
    lifecycle: float


@strawberry.type
class HealthWeightsPayload:
    weights: HealthWeights | None
    user_errors: list[UserError]


@strawberry.type
class HealthMutations:
    @strawberry.mutation(description="Score a month again now: one tenant, or every tenant you can see.")
    async def request_health_recompute(self, info: Info, input: RequestHealthRecomputeInput) -> HealthRecomputePayload:
        ctx = info.context

        async def work(_session):
            tenant_ids = [tenant_key(ctx, input.tenant_id)] if input.tenant_id is not None else sorted(ctx.viewer.tenant_ids)
            return await enqueue_recompute(ctx.services.redis, ctx.viewer, tenant_ids, input.month)

        job_id, errors = await perform(ctx, work)
        return HealthRecomputePayload(job_id=job_id, user_errors=errors)

    @strawberry.mutation(description="Practice admins: the weights of the eight components (they must sum to 1).")
    async def set_health_weights(self, info: Info, input: SetHealthWeightsInput) -> HealthWeightsPayload:
        ctx = info.context
        weights = {k: getattr(input, k) for k in formula.KEYS if getattr(input, k) is not None}
        saved, errors = await perform(ctx, lambda s: set_health_weights(s, ctx.user_viewer(), weights))
        stored = HealthWeights(**saved.health_weights) if saved is not None else None
        return HealthWeightsPayload(weights=stored, user_errors=errors)
