"""The IT plan: `Initiative`, `Tenant.initiatives`, the roadmap (`RoadmapQuarter`, `Tenant.roadmap`),
and create / update / delete."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy import and_, select

from app.api import ids
from app.api.context import Context, Info
from app.api.decisions import Decision, latest_decision
from app.api.errors import UserError
from app.api.lists import Listing, child_connection, row_by_key, rows_by_parent
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolve_node, resolves
from app.api.pagination import Connection
from app.api.permissions import id_in_tenant, object_key, tenant_key
from app.api.scalars import Month
from app.api.standards import Finding, initiative_findings
from app.budgets.actions import fiscal_months, year_spans
from app.planning import actions, roadmap
from app.planning import models as m
from app.planning.roadmap import check_fiscal_year

InitiativeStatus = strawberry.enum(m.InitiativeStatus, name="InitiativeStatus")

INITIATIVES = m.Initiative.__table__


@strawberry.enum(description="Sort orders of a tenant's initiatives.")
class InitiativeOrder(Enum):
    TARGET_MONTH_ASC = "TARGET_MONTH_ASC"
    PRIORITY_ASC = "PRIORITY_ASC"
    CREATED_DESC = "CREATED_DESC"


def initiative_list(t, status: list[str] | None, order_by: InitiativeOrder | str | None) -> Listing:
    """`Tenant.initiatives` on the initiatives table `t` (or an alias), for the executor and the compiled reads."""
    statuses = tuple(sorted(status)) if status else None
    order = InitiativeOrder(order_by or InitiativeOrder.TARGET_MONTH_ASC)
    orders = {
        InitiativeOrder.TARGET_MONTH_ASC: [t.c.target_month.asc().nulls_last(), t.c.priority, t.c.id],
        InitiativeOrder.PRIORITY_ASC: [t.c.priority, t.c.target_month.asc().nulls_last(), t.c.id],
        InitiativeOrder.CREATED_DESC: [t.c.id.desc()],
    }
    return Listing([t.c.status.in_(statuses)] if statuses else [], orders[order], (statuses, order.value))


@strawberry.type
class Initiative(Node):
    id: strawberry.ID
    version: int
    title: str
    status: InitiativeStatus
    priority: int = strawberry.field(description="1 highest .. 5 lowest")
    target_month: Month | None
    cost_estimate: Decimal | None = strawberry.field(description="The one-time cost.")
    recurring_cost_per_year: Decimal | None = strawberry.field(description="What it costs every year once delivered.")
    hours_saved_per_month: float | None
    revenue_at_risk: Decimal | None
    description: str | None
    tenant_id: strawberry.Private[uuid.UUID]
    initiative_id: strawberry.Private[uuid.UUID]
    goal_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The business goal it serves.")
    async def goal(self, info: Info) -> Annotated[BusinessGoal, strawberry.lazy("app.api.goals")] | None:  # noqa: F821 -- lazy: resolved by strawberry
        # Through the node registry: app/api/goals.py lists a goal's initiatives, so this module
        # may not import it back.
        if self.goal_id is None:
            return None
        return await resolve_node(info.context, ids.encode("BusinessGoal", self.goal_id, self.tenant_id))

    @strawberry.field(description="The latest decision about it (decideInitiative).")
    async def decision(self, info: Info) -> Decision | None:
        return await latest_decision(info.context, "initiative_id", self.tenant_id, self.initiative_id)

    @strawberry.field(description="The review findings this initiative closes.")
    async def findings(self, info: Info) -> list[Finding]:
        return await initiative_findings(info.context, self.tenant_id, self.initiative_id)


def initiative_node(row) -> Initiative:
    return from_row(Initiative, row, id=ids.encode("Initiative", row.id, row.tenant_id), initiative_id=row.id)


@strawberry.type
class InitiativeConnection(Connection[Initiative]):
    pass


@resolves("Initiative")
async def _initiative_by_key(ctx: Context, key: ids.Key) -> Initiative | None:
    row = await row_by_key(ctx, m.Initiative, key.tenant_id, key.id)
    return initiative_node(row) if row else None


async def tenant_initiatives(
    ctx: Context, tenant_id: uuid.UUID, first, after, status, order_by
) -> InitiativeConnection:
    listing = initiative_list(INITIATIVES, [s.value for s in status] if status else None, order_by)
    return await child_connection(
        ctx, name="initiatives", parent_id=tenant_id, first=first, after=after, filters=listing.key,
        make_query=lambda ids: select(INITIATIVES).where(INITIATIVES.c.tenant_id.in_(ids), *listing.where),
        parent_column=INITIATIVES.c.tenant_id, order_by=listing.order, make_node=initiative_node,
        connection=InitiativeConnection,
    )


async def roadmap_initiatives(ctx: Context, tenant_id: uuid.UUID, first: dt.date) -> list:
    """`RoadmapInitiatives`: the rows on the roadmap of the fiscal year starting at `first`
    (app/planning/roadmap.py) by target month, each with its `quarter` (`roadmap.quarter_of`),
    batched over tenants and years."""
    order = initiative_list(INITIATIVES, None, None).order

    def query(keys: list):
        years = year_spans(keys)
        return (
            select(INITIATIVES, years.c.year_first, roadmap.quarter_of(INITIATIVES.c.target_month, years.c.year_first).label("quarter"))
            .join(years, and_(INITIATIVES.c.tenant_id == years.c.tenant_id,
                              *roadmap.on_roadmap(INITIATIVES, years.c.year_first, years.c.year_last)))
            .order_by(*order)
        )

    return await rows_by_parent(ctx, "RoadmapInitiatives", (tenant_id, first), query,
                                lambda row: (row.tenant_id, row.year_first))


@strawberry.type(description="A fiscal quarter of the roadmap: the initiatives aimed at it and what they add up to.")
class RoadmapQuarter:
    quarter: str = strawberry.field(description='The fiscal quarter, "2026-Q3" (a fiscal year is named by the year it starts in).')
    initiatives: list[Initiative] = strawberry.field(description="Target month in the quarter, not CANCELLED; by target month.")
    one_time_cost: Decimal
    recurring_cost_per_year: Decimal
    hours_saved_per_month: float
    revenue_at_risk: Decimal


async def tenant_roadmap(ctx: Context, tenant_id: uuid.UUID, fiscal_year: int, start_month: int) -> list[RoadmapQuarter]:
    """`roadmap.quarters_query` (`RoadmapQuarters`, the compiled report's too) with each quarter's initiatives."""
    first, _ = fiscal_months(check_fiscal_year(fiscal_year), start_month)
    quarters = await rows_by_parent(ctx, "RoadmapQuarters", (tenant_id, first),
                                    lambda keys: roadmap.quarters_query(year_spans(keys)),
                                    lambda row: (row.tenant_id, row.year_first))
    initiatives: dict[int, list] = {}
    for row in await roadmap_initiatives(ctx, tenant_id, first):
        initiatives.setdefault(row.quarter, []).append(initiative_node(row))
    return [
        RoadmapQuarter(
            quarter=q.quarter, initiatives=initiatives.get(q.n, []), one_time_cost=q.one_time_cost,
            recurring_cost_per_year=q.recurring_cost_per_year, hours_saved_per_month=q.hours_saved_per_month,
            revenue_at_risk=q.revenue_at_risk,
        )
        for q in quarters
    ]


@strawberry.input
class CreateInitiativeInput:
    tenant_id: strawberry.ID
    title: str
    status: InitiativeStatus | None = m.InitiativeStatus.PROPOSED
    priority: int | None = 3
    target_month: Month | None = None
    cost_estimate: Decimal | None = strawberry.field(default=None, description="The one-time cost.")
    recurring_cost_per_year: Decimal | None = None
    hours_saved_per_month: float | None = None
    revenue_at_risk: Decimal | None = None
    description: str | None = None
    goal_id: strawberry.ID | None = strawberry.field(default=None, description="The business goal it serves.")


@strawberry.input(description=UPDATE_INPUT)
class UpdateInitiativeInput:
    id: strawberry.ID
    expected_version: int | None = None
    title: strawberry.Maybe[str | None]
    status: strawberry.Maybe[InitiativeStatus | None]
    priority: strawberry.Maybe[int | None]
    target_month: strawberry.Maybe[Month | None]
    cost_estimate: strawberry.Maybe[Decimal | None] = strawberry.field(description="The one-time cost.")
    recurring_cost_per_year: strawberry.Maybe[Decimal | None]
    hours_saved_per_month: strawberry.Maybe[float | None]
    revenue_at_risk: strawberry.Maybe[Decimal | None]
    description: strawberry.Maybe[str | None]
    goal_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(description="null unlinks.")


@strawberry.type
class InitiativePayload:
    initiative: Initiative | None
    user_errors: list[UserError]


@strawberry.type
class PlanningMutations:
    @strawberry.mutation
    async def create_initiative(self, info: Info, input: CreateInitiativeInput) -> InitiativePayload:
        ctx = info.context

        async def work(session):
            tenant_id = tenant_key(ctx, input.tenant_id)
            return await actions.create_initiative(
                session, ctx.viewer, tenant_id,
                title=input.title, status=input.status or m.InitiativeStatus.PROPOSED, priority=input.priority,
                target_month=input.target_month, cost_estimate=input.cost_estimate,
                recurring_cost_per_year=input.recurring_cost_per_year,
                hours_saved_per_month=input.hours_saved_per_month, revenue_at_risk=input.revenue_at_risk,
                description=input.description,
                goal_id=id_in_tenant(input.goal_id, "BusinessGoal", tenant_id) if input.goal_id is not None else None,
            )

        initiative, errors = await perform(ctx, work)
        return InitiativePayload(initiative=initiative_node(initiative) if initiative else None, user_errors=errors)

    @strawberry.mutation
    async def update_initiative(self, info: Info, input: UpdateInitiativeInput) -> InitiativePayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "Initiative")
            changes = given(input, goal_id=lambda goal_id: id_in_tenant(goal_id, "BusinessGoal", key.tenant_id))
            return await actions.update_initiative(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version, **changes
            )

        initiative, errors = await perform(ctx, work)
        return InitiativePayload(initiative=initiative_node(initiative) if initiative else None, user_errors=errors)

    @strawberry.mutation
    async def delete_initiative(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "Initiative", actions.delete_initiative)
