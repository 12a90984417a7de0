"""Steering meetings and their action items: types, `Tenant.steeringMeetings`,
`Tenant.nextSteeringMeeting`, and the mutations that schedule, record, edit and delete them.

`attendees` are strings, "Name" or "Name (Function)" (as written, and as answered);
`attendeeDetails` gives the same people with the function apart.
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from sqlalchemy import func, select

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import child_connection, row_by_key, rows_by_tenant
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.pagination import Connection
from app.api.permissions import object_key, tenant_key
from app.steering import actions
from app.steering import models as m

MeetingStatus = strawberry.enum(m.MeetingStatus, name="MeetingStatus")
ActionItemStatus = strawberry.enum(m.ActionItemStatus, name="ActionItemStatus")

MEETINGS = m.SteeringMeeting.__table__
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
    agenda: list[str]
    decisions: list[str]
    row_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Action items agreed in this meeting, oldest first.")
    async def action_items(
        self, info: Info, first: int | None = None, after: str | None = None, status: ActionItemStatus | None = None
    ) -> ActionItemConnection:
        wanted = status.value if status else None

        def query(meeting_ids):
            q = select(ITEMS).where(ITEMS.c.meeting_id.in_(meeting_ids))
            return q.where(ITEMS.c.status == wanted) if wanted else q

        return await child_connection(
            info.context, name="actionItems", parent_id=self.row_id, first=first, after=after, filters=(wanted,),
            make_query=query, parent_column=ITEMS.c.meeting_id, order_by=[ITEMS.c.id], make_node=item_node,
            connection=ActionItemConnection,
        )


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
    """`Tenant.nextSteeringMeeting`: scheduled, at or after now (so never a stored answer)."""
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
            .distinct(MEETINGS.c.tenant_id)
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


@strawberry.input(description=f"Record how a meeting went; lists given replace the stored ones. {UPDATE_INPUT}")
class RecordSteeringMeetingInput:
    id: strawberry.ID
    status: MeetingStatus
    attendees: strawberry.Maybe[list[str] | None]
    decisions: strawberry.Maybe[list[str] | None]
    expected_version: int | None = None


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

    @strawberry.mutation(description="Marking a meeting HELD in a closed month gets that month's score recomputed.")
    async def record_steering_meeting(self, info: Info, input: RecordSteeringMeetingInput) -> SteeringMeetingPayload:
        return await _update_meeting(info.context, input, status=input.status, **given(input))

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
