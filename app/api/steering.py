"""Steering meetings and their action items: types, `Tenant.steeringMeetings`,
`Tenant.nextSteeringMeeting`, and the mutations that schedule, record, edit and delete them.

`attendees` are strings, "Name" or "Name (Function)" (as written, and as answered);
`attendeeDetails` gives the same people with the function apart.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import strawberry
from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on

from app.api import ids
from app.api.context import Context, Info
from app.api.decisions import Decision, meeting_decisions
from app.api.errors import UserError
from app.api.goals import GOALS, goal_node
from app.api.lists import Listing, child_connection, row_by_key, rows_by_tenant
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.pagination import Connection
from app.api.permissions import id_in_tenant, object_key, tenant_key
from app.api.planning import INITIATIVES, initiative_list, initiative_node
from app.api.risks import RISKS, risk_list, risk_node
from app.api.standards import FINDINGS_ORDER, finding_node, open_findings, require_user
from app.decisions import actions as decision_actions
from app.risks.models import RiskStatus as RiskStatusRow
from app.steering import actions, agenda
from app.steering import models as m
from app.tenants.models import Tenant as TenantRow

MeetingStatus = strawberry.enum(m.MeetingStatus, name="MeetingStatus")
ActionItemStatus = strawberry.enum(m.ActionItemStatus, name="ActionItemStatus")

AgendaItemKind = strawberry.enum(agenda.AgendaItemKind, name="AgendaItemKind")

MEETINGS = m.SteeringMeeting.__table__
TENANTS = TenantRow.__table__
ITEMS = m.ActionItem.__table__


@strawberry.type
class Attendee:
    name: str
    function: str | None


@strawberry.type
class ActionItem(Node):
    id: strawberry.ID
    version: int
    title: str
    owner: str | None
    due_on: dt.date | None
    status: ActionItemStatus
    tenant_id: strawberry.Private[uuid.UUID]
    meeting_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The meeting that agreed this item.")
    async def meeting(self, info: Info) -> SteeringMeeting | None:
        row = await row_by_key(info.context, m.SteeringMeeting, self.tenant_id, self.meeting_id)
        return meeting_node(row) if row else None


def item_node(row) -> ActionItem:
    return from_row(ActionItem, row, id=ids.encode("ActionItem", row.id, row.tenant_id))


@strawberry.type
class ActionItemConnection(Connection[ActionItem]):
    pass


@strawberry.type
class SteeringMeeting(Node):
    id: strawberry.ID
    version: int
    scheduled_at: dt.datetime
    status: MeetingStatus
    attendees: list[str] = strawberry.field(description='"Name" or "Name (Function)".')
    attendee_details: list[Attendee]
    agenda: list[str] = strawberry.field(description="The agenda as written; `suggestedAgenda` is the one derived from the data.")
    decisions: list[str] = strawberry.field(description="Decisions as written; `decisionsTaken` are those on the register.")
    row_id: strawberry.Private[uuid.UUID]
    tenant_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description=(
        "Derived when asked, as of the meeting's day: goals of its fiscal year OFF_TRACK or AT_RISK, proposals "
        "awaiting a decision, risks whose acceptance ends within 60 days (or has ended) or due for review, findings "
        "of the latest review without an initiative, initiatives under way due in its fiscal quarter. Signed-in users."))
    async def suggested_agenda(self, info: Info) -> list[AgendaItem]:
        return await meeting_agenda(info.context, self.tenant_id, self.scheduled_at)

    @strawberry.field(description="The decisions of the register taken in this meeting, in the order taken.")
    async def decisions_taken(self, info: Info) -> list[Decision]:
        return await meeting_decisions(info.context, self.tenant_id, self.row_id)

    @strawberry.field(description="Action items agreed in this meeting, oldest first.")
    async def action_items(
        self, info: Info, first: int | None = None, after: str | None = None, status: ActionItemStatus | None = None
    ) -> ActionItemConnection:
        listing = action_item_list(ITEMS, status.value if status else None)
        return await child_connection(
            info.context, name="actionItems", parent_id=self.row_id, first=first, after=after, filters=listing.key,
            make_query=lambda meeting_ids: select(ITEMS).where(ITEMS.c.meeting_id.in_(meeting_ids), *listing.where),
            parent_column=ITEMS.c.meeting_id, order_by=listing.order, make_node=item_node,
            connection=ActionItemConnection,
        )


def action_item_list(t, status: str | None) -> Listing:
    """A meeting's action items (the table `t` or an alias), of `status` when given, oldest first
    (ids are time-ordered): both read paths."""
    return Listing([t.c.status == status] if status else [], [t.c.id], (status,))


@strawberry.type(description="One point a steering meeting should take up, derived from the client's data.")
class AgendaItem:
    kind: AgendaItemKind
    summary: str = strawberry.field(description='One line, e.g. "Proposal awaiting a decision: Move to M365".')
    subject: Node = strawberry.field(description="The BusinessGoal, Initiative, Risk or Finding it is about.")


SUBJECTS = {"BusinessGoal": goal_node, "Initiative": initiative_node, "Risk": risk_node, "Finding": finding_node}


async def meeting_agenda(ctx: Context, tenant_id: uuid.UUID, scheduled_at: dt.datetime) -> list[AgendaItem]:
    require_user(ctx)  # findings are for signed-in users
    sources = await ctx.loader("AgendaSourcesByTenant", agenda_sources(ctx)).load(tenant_id)
    day = scheduled_at.astimezone(dt.UTC).date()
    return [AgendaItem(kind=i.kind, summary=i.summary, subject=SUBJECTS[i.subject](i.row)) for i in agenda.derive(day, sources)]


def agenda_candidates(tenants: Callable[[Any], Any]) -> dict[str, tuple[Select, list]]:
    """The candidate rows of each field of `agenda.Sources`, of the tenants `tenants(tenant_id
    column)` selects, and their order: the executor's `agenda_sources` reads them for a batch of
    tenants, the compiled agenda for its meeting's tenant."""
    return {
        "goals": (select(GOALS).where(tenants(GOALS.c.tenant_id), GOALS.c.status.in_(agenda.GOALS_OF_CONCERN)),
                  [GOALS.c.title, GOALS.c.id]),
        "initiatives": (select(INITIATIVES).where(tenants(INITIATIVES.c.tenant_id),
                                                  INITIATIVES.c.status.in_(agenda.CANDIDATE_INITIATIVES)),
                        initiative_list(INITIATIVES, None, None).order),
        "risks": (select(RISKS).where(tenants(RISKS.c.tenant_id), RISKS.c.status != RiskStatusRow.CLOSED,
                                      or_(RISKS.c.review_due.is_not(None), RISKS.c.status == RiskStatusRow.ACCEPTED)),
                  risk_list(RISKS, None, None, None, None).order),
        "findings": (open_findings(tenants).order_by(None), FINDINGS_ORDER),
    }


def agenda_sources(ctx: Context):
    """`AgendaSourcesByTenant`: every asking tenant's candidates in five statements, whatever the
    number of meetings (each meeting's day picks its items from them, `agenda.derive`)."""

    async def batch(keys: list) -> list:
        def grouped(rows) -> dict:
            out = {k: [] for k in keys}
            for r in rows:
                out[r.tenant_id].append(r)
            return out

        starts = dict(await ctx.db.rows(select(TENANTS.c.id, TENANTS.c.fiscal_year_start_month).where(TENANTS.c.id.in_(keys))))
        found = {name: grouped(await ctx.db.rows(query.order_by(*order)))
                 for name, (query, order) in agenda_candidates(lambda column: column.in_(keys)).items()}
        return [agenda.Sources(starts.get(k, 1), *(found[name][k] for name in ("goals", "initiatives", "risks", "findings")))
                for k in keys]

    return batch


def meeting_node(row) -> SteeringMeeting:
    attendees = row.attendees or []
    return from_row(
        SteeringMeeting, row, id=ids.encode("SteeringMeeting", row.id, row.tenant_id), row_id=row.id,
        attendees=[actions.attendee_label(a["name"], a.get("function")) for a in attendees],
        attendee_details=[Attendee(name=a["name"], function=a.get("function")) for a in attendees],
        agenda=list(row.agenda or []), decisions=list(row.decisions or []),
    )


@resolves("SteeringMeeting")
async def _meeting_by_key(ctx: Context, key: ids.Key) -> SteeringMeeting | None:
    row = await row_by_key(ctx, m.SteeringMeeting, key.tenant_id, key.id)
    return meeting_node(row) if row else None


@resolves("ActionItem")
async def _item_by_key(ctx: Context, key: ids.Key) -> ActionItem | None:
    row = await row_by_key(ctx, m.ActionItem, key.tenant_id, key.id)
    return item_node(row) if row else None


def utc_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def meeting_order(t) -> list:
    """Meetings by time (then id), on the meetings table `t` or an alias: every list of them, both paths."""
    return [t.c.scheduled_at, t.c.id]


def meeting_window(t, from_: dt.date | None, to: dt.date | None) -> list:
    """`Tenant.steeringMeetings(from, to)`: the UTC day within [from, to], either end open when omitted."""
    where = []
    if from_ is not None:
        where.append(t.c.scheduled_at >= utc_day(from_))
    if to is not None and to < dt.date.max:
        where.append(t.c.scheduled_at < utc_day(to + dt.timedelta(days=1)))
    return where


def upcoming(t) -> list:
    """`Tenant.nextSteeringMeeting`: scheduled, at or after now (a stored answer holding it lasts until
    the earliest of them starts: app/api/compiled/fields/tenant.py `next_meeting_change`)."""
    return [t.c.status == m.MeetingStatus.SCHEDULED, t.c.scheduled_at >= func.now()]


async def tenant_meetings(ctx: Context, tenant_id: uuid.UUID, from_: dt.date | None, to: dt.date | None) -> list[SteeringMeeting]:
    """Meetings whose UTC day is within [from, to] (either end open when omitted), by time."""

    def query(tenant_ids):
        return (select(MEETINGS).where(MEETINGS.c.tenant_id.in_(tenant_ids), *meeting_window(MEETINGS, from_, to))
                .order_by(*meeting_order(MEETINGS)))

    rows = await rows_by_tenant(ctx, ("SteeringMeetingsByTenant", from_, to), tenant_id, query)
    return [meeting_node(r) for r in rows]


async def next_meeting(ctx: Context, tenant_id: uuid.UUID) -> SteeringMeeting | None:
    """The first SCHEDULED meeting at or after now, for every asking tenant in one statement."""

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(
            select(MEETINGS)
            .where(MEETINGS.c.tenant_id.in_(keys), *upcoming(MEETINGS))
            .ext(distinct_on(MEETINGS.c.tenant_id))
            .order_by(MEETINGS.c.tenant_id, *meeting_order(MEETINGS))
        )
        found = {r.tenant_id: meeting_node(r) for r in rows}
        return [found.get(k) for k in keys]

    return await ctx.loader("NextSteeringMeetingByTenant", batch).load(tenant_id)


@strawberry.input
class ScheduleSteeringMeetingInput:
    tenant_id: strawberry.ID
    scheduled_at: dt.datetime = strawberry.field(description="With a UTC offset.")
    agenda: list[str] | None = None
    attendees: list[str] | None = strawberry.field(default=None, description='"Name" or "Name (Function)".')


@strawberry.input(description=(
    "One decision taken in the meeting, on the register: an initiative decided (initiativeId, approve, reason: "
    "a decline needs it), a risk accepted (riskId, until, reason) or a note (summary, reason). Name one of the three."))
class MeetingDecisionInput:
    initiative_id: strawberry.ID | None = None
    approve: bool | None = None
    risk_id: strawberry.ID | None = None
    until: dt.date | None = None
    summary: str | None = None
    reason: str | None = None


@strawberry.input(description=f"Record how a meeting went; lists given replace the stored ones. {UPDATE_INPUT}")
class RecordSteeringMeetingInput:
    id: strawberry.ID
    status: MeetingStatus
    attendees: strawberry.Maybe[list[str] | None]
    decisions: strawberry.Maybe[list[str] | None]
    expected_version: int | None = None
    decisions_taken: list[MeetingDecisionInput] | None = strawberry.field(default=None, description=(
        "Decisions to add to the register, taken in this meeting (at most 50); each is also an audit event. "
        "The first that fails names its place and nothing of the call is kept."))


@strawberry.input(description=f"Reschedule or edit a meeting; lists given replace the stored ones. {UPDATE_INPUT}")
class UpdateSteeringMeetingInput:
    id: strawberry.ID
    expected_version: int | None = None
    scheduled_at: strawberry.Maybe[dt.datetime | None]
    agenda: strawberry.Maybe[list[str] | None]
    attendees: strawberry.Maybe[list[str] | None]
    decisions: strawberry.Maybe[list[str] | None]


@strawberry.type
class SteeringMeetingPayload:
    steering_meeting: SteeringMeeting | None
    user_errors: list[UserError]


@strawberry.input
class CreateActionItemInput:
    meeting_id: strawberry.ID
    title: str
    owner: str | None = None
    due_on: dt.date | None = None


@strawberry.input(description=UPDATE_INPUT)
class UpdateActionItemInput:
    id: strawberry.ID
    expected_version: int | None = None
    title: strawberry.Maybe[str | None]
    owner: strawberry.Maybe[str | None]
    due_on: strawberry.Maybe[dt.date | None]
    status: strawberry.Maybe[ActionItemStatus | None]


@strawberry.type
class ActionItemPayload:
    action_item: ActionItem | None
    user_errors: list[UserError]


def taken_decision(d: MeetingDecisionInput, tenant_id: uuid.UUID) -> decision_actions.Taken:
    """Its ids as the meeting's tenant's (another tenant's is one that does not exist)."""
    return decision_actions.Taken(
        initiative_id=id_in_tenant(d.initiative_id, "Initiative", tenant_id) if d.initiative_id is not None else None,
        approve=d.approve, risk_id=id_in_tenant(d.risk_id, "Risk", tenant_id) if d.risk_id is not None else None,
        until=d.until, summary=d.summary, reason=d.reason,
    )


async def _meeting_payload(ctx: Context, work) -> SteeringMeetingPayload:
    meeting, errors = await perform(ctx, work)
    return SteeringMeetingPayload(steering_meeting=meeting_node(meeting) if meeting else None, user_errors=errors)


async def _update_meeting(ctx: Context, input, **changes) -> SteeringMeetingPayload:
    async def work(session):
        key = object_key(ctx, input.id, "SteeringMeeting")
        return await actions.update_meeting(
            session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version, **changes
        )

    return await _meeting_payload(ctx, work)


async def _item_payload(ctx: Context, work) -> ActionItemPayload:
    item, errors = await perform(ctx, work)
    return ActionItemPayload(action_item=item_node(item) if item else None, user_errors=errors)


@strawberry.type
class SteeringMutations:
    @strawberry.mutation
    async def schedule_steering_meeting(self, info: Info, input: ScheduleSteeringMeetingInput) -> SteeringMeetingPayload:
        ctx = info.context

        async def work(session):
            return await actions.schedule_meeting(
                session, ctx.viewer, tenant_key(ctx, input.tenant_id), scheduled_at=input.scheduled_at,
                agenda=input.agenda, attendees=input.attendees,
            )

        return await _meeting_payload(ctx, work)

    @strawberry.mutation(description=(
        "Marking a meeting HELD in a closed month gets that month's score recomputed. `decisionsTaken` go on "
        "the register with the meeting (CIOs and admins recording the client's word)."))
    async def record_steering_meeting(self, info: Info, input: RecordSteeringMeetingInput) -> SteeringMeetingPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "SteeringMeeting")
            meeting = await actions.update_meeting(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version,
                status=input.status, **given(input),
            )
            taken = [taken_decision(d, key.tenant_id) for d in input.decisions_taken or []]
            await decision_actions.take_in_meeting(session, ctx.viewer, key.tenant_id, key.id, taken)
            return meeting

        return await _meeting_payload(ctx, work)

    @strawberry.mutation
    async def update_steering_meeting(self, info: Info, input: UpdateSteeringMeetingInput) -> SteeringMeetingPayload:
        return await _update_meeting(info.context, input, **given(input))

    @strawberry.mutation(description="Deletes the meeting and its action items.")
    async def delete_steering_meeting(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "SteeringMeeting", actions.delete_meeting)

    @strawberry.mutation
    async def create_action_item(self, info: Info, input: CreateActionItemInput) -> ActionItemPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.meeting_id, "SteeringMeeting", "meetingId")
            return await actions.create_action_item(
                session, ctx.viewer, key.tenant_id, key.id, title=input.title, owner=input.owner, due_on=input.due_on
            )

        return await _item_payload(ctx, work)

    @strawberry.mutation
    async def update_action_item(self, info: Info, input: UpdateActionItemInput) -> ActionItemPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "ActionItem")
            return await actions.update_action_item(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version, **given(input)
            )

        return await _item_payload(ctx, work)

    @strawberry.mutation
    async def delete_action_item(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "ActionItem", actions.delete_action_item)
