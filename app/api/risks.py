"""The risk register: `Risk`, `Tenant.risks`, and create / update / delete."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum

import strawberry
from sqlalchemy import select

from app.api import ids
from app.api.context import Context, Info
from app.api.decisions import Decision, latest_decision
from app.api.errors import UserError
from app.api.lists import Listing, child_connection, row_by_key
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.pagination import Connection
from app.api.permissions import object_key, tenant_key
from app.months import utc_today
from app.risks import actions, rules
from app.risks import models as m

RiskStatus = strawberry.enum(m.RiskStatus, name="RiskStatus")
RiskCategory = strawberry.enum(m.RiskCategory, name="RiskCategory")
RiskTreatment = strawberry.enum(m.RiskTreatment, name="RiskTreatment")

RISKS = m.Risk.__table__


@strawberry.enum(description="Sort orders of a risk register.")
class RiskOrder(Enum):
    SCORE_DESC = "SCORE_DESC"
    REVIEW_DUE_ASC = "REVIEW_DUE_ASC"
    CREATED_DESC = "CREATED_DESC"


def risk_list(
    t, status: list[str] | None, min_score: int | None, order_by: RiskOrder | str | None, today: dt.date
) -> Listing:
    """`Tenant.risks` on the risks table `t` (or an alias of it), for the executor and the compiled reads.
    `status` filters on the status a risk reads as `today` (an expired acceptance is OPEN)."""
    statuses = tuple(sorted(status)) if status else None
    order = RiskOrder(order_by or RiskOrder.SCORE_DESC)
    where = [rules.status_on(t.c.status, t.c.accepted_until, today).in_(statuses)] if statuses else []
    if min_score is not None:
        where.append(t.c.score >= min_score)
    orders = {
        RiskOrder.SCORE_DESC: [t.c.score.desc(), t.c.review_due.asc().nulls_last(), t.c.id],
        RiskOrder.REVIEW_DUE_ASC: [t.c.review_due.asc().nulls_last(), t.c.score.desc(), t.c.id],
        RiskOrder.CREATED_DESC: [t.c.id.desc()],
    }
    return Listing(where, orders[order], (statuses, min_score, order.value))


@strawberry.type
class Risk(Node):
    id: strawberry.ID
    version: int
    title: str
    category: RiskCategory
    status: RiskStatus = strawberry.field(description="As of today: an ACCEPTED risk whose acceptance has expired reads OPEN.")
    likelihood: int
    impact: int
    score: int = strawberry.field(description="likelihood * impact, 1..25")
    owner: str | None
    review_due: dt.date | None
    mitigation: str | None
    treatment: RiskTreatment | None
    description: str | None
    accepted_until: dt.date | None = strawberry.field(
        description="Set by acceptRisk: ACCEPTED until this day, from which the risk reads OPEN again (`status`).")
    tenant_id: strawberry.Private[uuid.UUID]
    risk_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The latest decision about it (acceptRisk).")
    async def decision(self, info: Info) -> Decision | None:
        return await latest_decision(info.context, "risk_id", self.tenant_id, self.risk_id)


def risk_node(row) -> Risk:
    """`status` as the risk reads today (app/risks/rules.py): OPEN once its acceptance has expired."""
    return from_row(Risk, row, id=ids.encode("Risk", row.id, row.tenant_id), risk_id=row.id,
                    status=rules.status_on(row.status, row.accepted_until, utc_today()))


@strawberry.type
class RiskConnection(Connection[Risk]):
    pass


@resolves("Risk")
async def _risk_by_key(ctx: Context, key: ids.Key) -> Risk | None:
    row = await row_by_key(ctx, m.Risk, key.tenant_id, key.id)
    return risk_node(row) if row else None


async def tenant_risks(
    ctx: Context, tenant_id: uuid.UUID, first, after, status, min_score, order_by
) -> RiskConnection:
    listing = risk_list(RISKS, [s.value for s in status] if status else None, min_score, order_by, utc_today())
    return await child_connection(
        ctx, name="risks", parent_id=tenant_id, first=first, after=after, filters=listing.key,
        make_query=lambda tenant_ids: select(RISKS).where(RISKS.c.tenant_id.in_(tenant_ids), *listing.where),
        parent_column=RISKS.c.tenant_id, order_by=listing.order, make_node=risk_node, connection=RiskConnection,
    )


@strawberry.input
class CreateRiskInput:
    tenant_id: strawberry.ID
    title: str
    category: RiskCategory
    likelihood: int
    impact: int
    owner: str | None = None
    review_due: dt.date | None = None
    mitigation: str | None = None
    treatment: RiskTreatment | None = None
    description: str | None = None


@strawberry.input(description=UPDATE_INPUT)
class UpdateRiskInput:
    id: strawberry.ID
    expected_version: int | None = None
    title: strawberry.Maybe[str | None]
    status: strawberry.Maybe[RiskStatus | None]
    likelihood: strawberry.Maybe[int | None]
    impact: strawberry.Maybe[int | None]
    mitigation: strawberry.Maybe[str | None]
    review_due: strawberry.Maybe[dt.date | None]
    owner: strawberry.Maybe[str | None]
    treatment: strawberry.Maybe[RiskTreatment | None]


@strawberry.type
class RiskPayload:
    risk: Risk | None
    user_errors: list[UserError]


@strawberry.type
class RiskMutations:
    @strawberry.mutation
    async def create_risk(self, info: Info, input: CreateRiskInput) -> RiskPayload:
        ctx = info.context

        async def work(session):
            return await actions.create_risk(
                session, ctx.viewer, tenant_key(ctx, input.tenant_id), title=input.title,
                category=m.RiskCategory(input.category.value), likelihood=input.likelihood, impact=input.impact,
                owner=input.owner, review_due=input.review_due, mitigation=input.mitigation,
                treatment=m.RiskTreatment(input.treatment.value) if input.treatment else None,
                description=input.description,
            )

        risk, errors = await perform(ctx, work)
        return RiskPayload(risk=risk_node(risk) if risk else None, user_errors=errors)

    @strawberry.mutation
    async def update_risk(self, info: Info, input: UpdateRiskInput) -> RiskPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "Risk")
            return await actions.update_risk(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version, **given(input)
            )

        risk, errors = await perform(ctx, work)
        return RiskPayload(risk=risk_node(risk) if risk else None, user_errors=errors)

    @strawberry.mutation
    async def delete_risk(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "Risk", actions.delete_risk)
