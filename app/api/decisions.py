"""The decision register: `Decision`, `Tenant.decisions`, `Initiative.decision`, `Risk.decision`,
`SteeringMeeting.decisionsTaken`, and `decideInitiative`, `acceptRisk`, `recordDecision`.

Client executives may call the first two for their tenant (their only writes); `recordDecision`
(a NOTE) is for CIOs and admins. The initiative, risk and meeting a decision names are resolved
through the node registry: their modules show decisions, so this one may not import them back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import Listing, child_connection, row_by_key, rows_by_parent
from app.api.mutations import perform
from app.api.node import Node, from_row, resolve_node, resolves
from app.api.pagination import Connection
from app.api.permissions import id_in_tenant, object_key, tenant_key
from app.api.users import User, user_node
from app.decisions import actions
from app.decisions import models as m
from app.tenants.models import User as UserRow

DecisionKind = strawberry.enum(m.DecisionKind, name="DecisionKind")

DECISIONS = m.Decision.__table__
USERS = UserRow.__table__


def register_order(t) -> list:
    """The register, newest first (the decisions table `t` or an alias)."""
    return [t.c.decided_at.desc(), t.c.id.desc()]


def register_list(t) -> Listing:
    """`Tenant.decisions`: every decision of the tenant (the decisions table `t` or an alias), newest first."""
    return Listing([], register_order(t), ())


def deciders(users, practice_id: uuid.UUID) -> list:
    """Who took a decision the viewer sees (the users table or an alias): a user of the viewer's
    practice (a decision names a user of its tenant's practice)."""
    return [users.c.practice_id == practice_id]


def taken_order(t) -> list:
    """A meeting's decisions in the order they were taken."""
    return [t.c.decided_at, t.c.id]


@strawberry.type(description="One entry of the client's decision register; never edited (a changed mind is a new decision).")
class Decision(Node):
    id: strawberry.ID
    kind: DecisionKind
    summary: str
    reason: str | None
    decided_at: dt.datetime
    expires_on: dt.date | None = strawberry.field(
        description="An accepted risk's `until`: from that day the risk reads OPEN again.")
    tenant_id: strawberry.Private[uuid.UUID]
    decider_id: strawberry.Private[uuid.UUID]
    initiative_id: strawberry.Private[uuid.UUID | None]
    risk_id: strawberry.Private[uuid.UUID | None]
    meeting_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The client executive, or the CIO or admin who recorded the client's word.")
    async def decided_by(self, info: Info) -> User:
        return await decider(info.context, self.decider_id)

    @strawberry.field(description="The initiative approved or declined; null once it is deleted.")
    async def initiative(self, info: Info) -> Annotated[Initiative, strawberry.lazy("app.api.planning")] | None:  # noqa: F821 -- lazy: resolved by strawberry
        return await self._named("Initiative", self.initiative_id, info)

    @strawberry.field(description="The risk accepted; null once it is deleted.")
    async def risk(self, info: Info) -> Annotated[Risk, strawberry.lazy("app.api.risks")] | None:  # noqa: F821 -- lazy: resolved by strawberry
        return await self._named("Risk", self.risk_id, info)

    @strawberry.field(description="The steering meeting it was taken in.")
    async def meeting(self, info: Info) -> Annotated[SteeringMeeting, strawberry.lazy("app.api.steering")] | None:  # noqa: F821 -- lazy: resolved by strawberry
        return await self._named("SteeringMeeting", self.meeting_id, info)

    async def _named(self, type_name: str, object_id: uuid.UUID | None, info: Info):
        if object_id is None:
            return None
        return await resolve_node(info.context, ids.encode(type_name, object_id, self.tenant_id))


def decision_node(row) -> Decision:
    return from_row(Decision, row, id=ids.encode("Decision", row.id, row.tenant_id), decider_id=row.decided_by)


@strawberry.type
class DecisionConnection(Connection[Decision]):
    pass


@resolves("Decision")
async def _decision_by_key(ctx: Context, key: ids.Key) -> Decision | None:
    row = await row_by_key(ctx, m.Decision, key.tenant_id, key.id)
    return decision_node(row) if row else None


async def decider(ctx: Context, user_id: uuid.UUID) -> User:
    """`DeciderByIdLoader`: whoever took a decision the viewer sees, of the viewer's practice (a
    decision names a user of its tenant's practice)."""

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(select(USERS).where(USERS.c.id.in_(keys), *deciders(USERS, ctx.viewer.practice_id)))
        found = {r.id: user_node(r) for r in rows}
        return [found.get(k) for k in keys]

    return await ctx.loader("DeciderById", batch).load(user_id)


async def tenant_decisions(ctx: Context, tenant_id: uuid.UUID, first: int | None, after: str | None) -> DecisionConnection:
    listing = register_list(DECISIONS)
    return await child_connection(
        ctx, name="decisions", parent_id=tenant_id, first=first, after=after, filters=listing.key,
        make_query=lambda tenant_ids: select(DECISIONS).where(DECISIONS.c.tenant_id.in_(tenant_ids), *listing.where),
        parent_column=DECISIONS.c.tenant_id, order_by=listing.order, make_node=decision_node,
        connection=DecisionConnection,
    )


async def latest_decision(ctx: Context, column: str, tenant_id: uuid.UUID, object_id: uuid.UUID) -> Decision | None:
    """`DecisionBy<column>Loader`: the latest decision about each initiative (`initiative_id`) or
    risk (`risk_id`) of the request, in one statement."""
    about = DECISIONS.c[column]

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(
            select(DECISIONS).ext(distinct_on(DECISIONS.c.tenant_id, about))
            .where(tuple_(DECISIONS.c.tenant_id, about).in_(keys))
            .order_by(DECISIONS.c.tenant_id, about, *register_order(DECISIONS))
        )
        found = {(r.tenant_id, getattr(r, column)): decision_node(r) for r in rows}
        return [found.get(k) for k in keys]

    return await ctx.loader(f"DecisionBy{column}", batch).load((tenant_id, object_id))


async def meeting_decisions(ctx: Context, tenant_id: uuid.UUID, meeting_id: uuid.UUID) -> list[Decision]:
    """`DecisionsByMeeting`: one statement for every meeting of the request."""
    rows = await rows_by_parent(
        ctx, "DecisionsByMeeting", (tenant_id, meeting_id),
        lambda keys: select(DECISIONS).where(tuple_(DECISIONS.c.tenant_id, DECISIONS.c.meeting_id).in_(keys))
        .order_by(*taken_order(DECISIONS)),
        lambda row: (row.tenant_id, row.meeting_id),
    )
    return [decision_node(r) for r in rows]


MEETING_ID = "The steering meeting it was taken in, of the same tenant."


@strawberry.input
class DecideInitiativeInput:
    initiative_id: strawberry.ID
    approve: bool = strawberry.field(description="false declines: the initiative goes to DEFERRED, and needs the reason.")
    reason: str | None = None
    meeting_id: strawberry.ID | None = strawberry.field(default=None, description=MEETING_ID)


@strawberry.input
class AcceptRiskInput:
    risk_id: strawberry.ID
    until: dt.date = strawberry.field(description=(
        "After today and at most 12 calendar months ahead (the same day a year on, or the month's last day); "
        "the risk reads OPEN again from this day."))
    reason: str
    meeting_id: strawberry.ID | None = strawberry.field(default=None, description=MEETING_ID)


@strawberry.input
class RecordDecisionInput:
    tenant_id: strawberry.ID
    summary: str
    reason: str | None = None
    meeting_id: strawberry.ID | None = strawberry.field(default=None, description=MEETING_ID)


@strawberry.type
class DecisionPayload:
    decision: Decision | None
    user_errors: list[UserError]


def meeting_id_of(meeting_id: str | None, tenant_id: uuid.UUID) -> uuid.UUID | None:
    return id_in_tenant(meeting_id, "SteeringMeeting", tenant_id) if meeting_id is not None else None


async def _payload(ctx: Context, work) -> DecisionPayload:
    decision, errors = await perform(ctx, work)
    return DecisionPayload(decision=decision_node(decision) if decision else None, user_errors=errors)


@strawberry.type
class DecisionMutations:
    @strawberry.mutation(description=(
        "Client executives of the tenant (and CIOs recording the client's word): PROPOSED -> APPROVED, "
        "or -> DEFERRED with the reason."))
    async def decide_initiative(self, info: Info, input: DecideInitiativeInput) -> DecisionPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.initiative_id, "Initiative", "initiativeId")
            return await actions.decide_initiative(
                session, ctx.viewer, key.tenant_id, key.id, approve=input.approve, reason=input.reason,
                meeting_id=meeting_id_of(input.meeting_id, key.tenant_id),
            )

        return await _payload(ctx, work)

    @strawberry.mutation(description=(
        "Client executives (and CIOs recording it): ACCEPTED until the date (at most 12 months ahead); "
        "after it the risk is OPEN again by itself."))
    async def accept_risk(self, info: Info, input: AcceptRiskInput) -> DecisionPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.risk_id, "Risk", "riskId")
            return await actions.accept_risk(
                session, ctx.viewer, key.tenant_id, key.id, until=input.until, reason=input.reason,
                meeting_id=meeting_id_of(input.meeting_id, key.tenant_id),
            )

        return await _payload(ctx, work)

    @strawberry.mutation(description="A NOTE on the register (e.g. agreed in a meeting). CIOs and admins; executives may not.")
    async def record_decision(self, info: Info, input: RecordDecisionInput) -> DecisionPayload:
        ctx = info.context

        async def work(session):
            tenant_id = tenant_key(ctx, input.tenant_id)
            return await actions.record_decision(
                session, ctx.viewer, tenant_id, summary=input.summary, reason=input.reason,
                meeting_id=meeting_id_of(input.meeting_id, tenant_id),
            )

        return await _payload(ctx, work)
