"""Business goals (`BusinessGoal`, `Tenant.goals`, create / update / delete) and the strategy profile
(`StrategyProfile`, `Tenant.strategy`, `setStrategyProfile`).

An initiative names the goal it serves (`goalId` on the initiative inputs, app/api/planning.py);
a goal lists its initiatives here.
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from sqlalchemy import Integer, cast, literal, select, tuple_

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import row_by_key, rows_by_parent, rows_by_tenant
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.permissions import object_key, tenant_key
from app.api.planning import INITIATIVES, Initiative, initiative_list, initiative_node
from app.goals import actions
from app.goals import models as m

GoalStatus = strawberry.enum(m.GoalStatus, name="GoalStatus")
BuildVsBuy = strawberry.enum(m.BuildVsBuy, name="BuildVsBuy")
CloudStrategy = strawberry.enum(m.CloudStrategy, name="CloudStrategy")

GOALS = m.BusinessGoal.__table__
PROFILES = m.StrategyProfile.__table__


@strawberry.type
class BusinessGoal(Node):
    id: strawberry.ID
    version: int
    title: str
    fiscal_year: int
    function: str | None = strawberry.field(description='The business function that owns it: "Sales", "Operations", ...')
    kpi: str | None
    baseline: float | None
    target: float | None
    current: float | None
    status: GoalStatus
    tenant_id: strawberry.Private[uuid.UUID]
    goal_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The initiatives that serve it, by target month.")
    async def initiatives(self, info: Info) -> list[Initiative]:
        return await goal_initiatives(info.context, self.tenant_id, self.goal_id)


def goal_node(row) -> BusinessGoal:
    return from_row(BusinessGoal, row, id=ids.encode("BusinessGoal", row.id, row.tenant_id), goal_id=row.id)


@resolves("BusinessGoal")
async def _goal_by_key(ctx: Context, key: ids.Key) -> BusinessGoal | None:
    row = await row_by_key(ctx, m.BusinessGoal, key.tenant_id, key.id)
    return goal_node(row) if row else None


async def tenant_goals(ctx: Context, tenant_id: uuid.UUID, fiscal_year: int | None) -> list[BusinessGoal]:
    """`GoalsByTenant`: a short list, batched over tenants (`goal_year`, `goal_order`)."""
    rows = await rows_by_tenant(
        ctx, ("GoalsByTenant", fiscal_year), tenant_id,
        lambda keys: select(GOALS).where(GOALS.c.tenant_id.in_(keys), *goal_year(GOALS, fiscal_year))
        .order_by(*goal_order(GOALS)),
    )
    return [goal_node(r) for r in rows]


def goal_year(t, fiscal_year: int | None) -> list:
    """`Tenant.goals(fiscalYear)` on the goals table `t` or an alias: that year's, every year's when
    omitted. The year is compared as an integer: any Int may be asked for, beyond the column's smallint."""
    return [t.c.fiscal_year == cast(literal(fiscal_year), Integer)] if fiscal_year is not None else []


def goal_order(t) -> list:
    """Newest fiscal year first, then by title: both read paths."""
    return [t.c.fiscal_year.desc(), t.c.title, t.c.id]


async def goal_initiatives(ctx: Context, tenant_id: uuid.UUID, goal_id: uuid.UUID) -> list[Initiative]:
    """`InitiativesByGoal`: one statement for every goal of the request."""
    order = initiative_list(INITIATIVES, None, None).order
    rows = await rows_by_parent(
        ctx, "InitiativesByGoal", (tenant_id, goal_id),
        lambda keys: select(INITIATIVES).where(tuple_(INITIATIVES.c.tenant_id, INITIATIVES.c.goal_id).in_(keys))
        .order_by(*order),
        lambda row: (row.tenant_id, row.goal_id),
    )
    return [initiative_node(r) for r in rows]


@strawberry.input
class CreateGoalInput:
    tenant_id: strawberry.ID
    title: str
    fiscal_year: int
    function: str | None = None
    kpi: str | None = None
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    status: GoalStatus | None = m.GoalStatus.ON_TRACK


@strawberry.input(description=UPDATE_INPUT)
class UpdateGoalInput:
    id: strawberry.ID
    expected_version: int | None = None
    title: strawberry.Maybe[str | None]
    fiscal_year: strawberry.Maybe[int | None]
    function: strawberry.Maybe[str | None]
    kpi: strawberry.Maybe[str | None]
    baseline: strawberry.Maybe[float | None]
    target: strawberry.Maybe[float | None]
    current: strawberry.Maybe[float | None]
    status: strawberry.Maybe[GoalStatus | None]


@strawberry.type
class BusinessGoalPayload:
    goal: BusinessGoal | None
    user_errors: list[UserError]


@strawberry.type
class GoalMutations:
    @strawberry.mutation
    async def create_goal(self, info: Info, input: CreateGoalInput) -> BusinessGoalPayload:
        ctx = info.context

        async def work(session):
            return await actions.create_goal(
                session, ctx.viewer, tenant_key(ctx, input.tenant_id), title=input.title,
                fiscal_year=input.fiscal_year, function=input.function, kpi=input.kpi, baseline=input.baseline,
                target=input.target, current=input.current,
                status=m.GoalStatus(input.status.value) if input.status else None,
            )

        goal, errors = await perform(ctx, work)
        return BusinessGoalPayload(goal=goal_node(goal) if goal else None, user_errors=errors)

    @strawberry.mutation
    async def update_goal(self, info: Info, input: UpdateGoalInput) -> BusinessGoalPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "BusinessGoal")
            return await actions.update_goal(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version, **given(input)
            )

        goal, errors = await perform(ctx, work)
        return BusinessGoalPayload(goal=goal_node(goal) if goal else None, user_errors=errors)

    @strawberry.mutation(description="Its initiatives stay, unlinked.")
    async def delete_goal(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "BusinessGoal", actions.delete_goal)


@strawberry.type(description="Every field optional; a client without one answers the empty profile.")
class StrategyProfile:
    it_maturity: int | None = strawberry.field(description="1 (ad hoc) .. 5 (optimised)")
    build_vs_buy: BuildVsBuy | None
    cloud_strategy: CloudStrategy | None
    preferred_platforms: list[str]
    endorsed_stack: list[str]
    regulatory_constraints: list[str]
    it_capacity_note: str | None
    updated_at: dt.datetime | None = strawberry.field(description="null until the profile is first set.")


EMPTY_PROFILE = StrategyProfile(
    it_maturity=None, build_vs_buy=None, cloud_strategy=None, preferred_platforms=[], endorsed_stack=[],
    regulatory_constraints=[], it_capacity_note=None, updated_at=None,
)


def profile_node(row) -> StrategyProfile:
    return from_row(StrategyProfile, row, preferred_platforms=list(row.preferred_platforms),
                    endorsed_stack=list(row.endorsed_stack), regulatory_constraints=list(row.regulatory_constraints))


async def tenant_strategy(ctx: Context, tenant_id: uuid.UUID) -> StrategyProfile:
    """`StrategyByTenant`: batched over tenants."""
    rows = await rows_by_tenant(ctx, "StrategyByTenant", tenant_id, lambda keys: select(PROFILES).where(PROFILES.c.tenant_id.in_(keys)))
    return profile_node(rows[0]) if rows else EMPTY_PROFILE


@strawberry.input(description="Changes only the fields given: a field left out keeps its value, null clears it (a list to empty).")
class SetStrategyProfileInput:
    tenant_id: strawberry.ID
    it_maturity: strawberry.Maybe[int | None] = strawberry.field(description="1 (ad hoc) .. 5 (optimised)")
    build_vs_buy: strawberry.Maybe[BuildVsBuy | None]
    cloud_strategy: strawberry.Maybe[CloudStrategy | None]
    preferred_platforms: strawberry.Maybe[list[str] | None]
    endorsed_stack: strawberry.Maybe[list[str] | None]
    regulatory_constraints: strawberry.Maybe[list[str] | None]
    it_capacity_note: strawberry.Maybe[str | None]


@strawberry.type
class StrategyProfilePayload:
    strategy: StrategyProfile | None
    user_errors: list[UserError]


@strawberry.type
class StrategyMutations:
    @strawberry.mutation(description="Client executives may not; every call is one audit event with the profile before and after.")
    async def set_strategy_profile(self, info: Info, input: SetStrategyProfileInput) -> StrategyProfilePayload:
        ctx = info.context

        async def work(session):
            return await actions.set_strategy_profile(session, ctx.viewer, tenant_key(ctx, input.tenant_id), **given(input))

        profile, errors = await perform(ctx, work)
        return StrategyProfilePayload(strategy=profile_node(profile) if profile else None, user_errors=errors)
