"""The risk register: `Risk`, `Tenant.risks`, and create / update / delete."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum

import strawberry
from sqlalchemy import select

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import child_connection, row_by_key
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.pagination import Connection
from app.api.permissions import object_key, tenant_key
from app.risks import actions
from app.risks import models as m

RiskStatus = strawberry.enum(m.RiskStatus, name="RiskStatus")
RiskCategory = strawberry.enum(m.RiskCategory, name="RiskCategory")
RiskTreatment = strawberry.enum(m.RiskTreatment, name="RiskTreatment")

COLUMNS = m.Risk.__table__.c


@strawberry.enum(description="Sort orders of a risk register.")
class RiskOrder(Enum):
    SCORE_DESC = "SCORE_DESC"
    REVIEW_DUE_ASC = "REVIEW_DUE_ASC"
    CREATED_DESC = "CREATED_DESC"


ORDERS = {
    RiskOrder.SCORE_DESC: [COLUMNS.score.desc(), COLUMNS.review_due.asc().nulls_last(), COLUMNS.id],
    RiskOrder.REVIEW_DUE_ASC: [COLUMNS.review_due.asc().nulls_last(), COLUMNS.score.desc(), COLUMNS.id],
    RiskOrder.CREATED_DESC: [COLUMNS.id.desc()],
}


@strawberry.type
class Risk(Node):
    id: strawberry.ID
    version: int
    title: str
    category: RiskCategory
    status: RiskStatus
    likelihood: int
    impact: int
    score: int = strawberry.field(description="likelihood * impact, 1..25")
    owner: str | None
    review_due: dt.date | None
    mitigation: str | None
    treatment: RiskTreatment | None
    description: str | None


def risk_node(row) -> Risk:
    return from_row(Risk, row, id=ids.encode("Risk", row.id, row.tenant_id))


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
    statuses = tuple(sorted(s.value for s in status)) if status else None
    order = order_by or RiskOrder.SCORE_DESC

    def query(tenant_ids):
        q = select(m.Risk.__table__).where(COLUMNS.tenant_id.in_(tenant_ids))
        if statuses:
            q = q.where(COLUMNS.status.in_(statuses))
        if min_score is not None:
            q = q.where(COLUMNS.score >= min_score)
        return q

    return await child_connection(
        ctx, name="risks", parent_id=tenant_id, first=first, after=after,
        filters=(statuses, min_score, order.value), make_query=query,
        parent_column=COLUMNS.tenant_id, order_by=ORDERS[order], make_node=risk_node, connection=RiskConnection,
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
