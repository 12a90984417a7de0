"""Monthly steering meetings with the client's executives, and the action items they produce.

Attendees are stored as `{"name", "function"}`; the API writes and reads them as strings, a name
or "Name (Function)" (`parse_attendee` / `attendee_label` convert), so a client can send either.

A meeting counts for the health score in the UTC month of `scheduled_at`, when it is HELD, and
for the steering window of that month and the two after it. Whenever that changes (recorded as
held or not, rescheduled to another month while held, deleted while held) the window's months
that have already closed are marked stale.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.budgets.actions import mark_closed_months_stale
from app.errors import Invalid, NotFound
from app.health.formula import STEERING_WINDOW
from app.months import add_months, month_start
from app.rules import is_sql
from app.steering.models import ActionItem, ActionItemStatus, MeetingStatus, SteeringMeeting

MAX_ATTENDEES = 100
MAX_AGENDA = 100
MAX_DECISIONS = 200
# A meeting may be recorded as held on its day in any time zone, not before.
HELD_TOLERANCE = dt.timedelta(days=1)

_WITH_FUNCTION = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<function>[^()]+)\)$")


def parse_attendee(value: str) -> dict:
    """ "Dana Ruiz (Finance)" -> {"name": "Dana Ruiz", "function": "Finance"}; a bare name has none."""
    found = _WITH_FUNCTION.match(value)
    if found:
        return {"name": found["name"].strip(), "function": found["function"].strip()}
    return {"name": value, "function": None}


def attendee_label(name, function):
    """"Name (Function)", or the name when there is no function.

    On strings, or on SQL expressions of them (app/rules.py), for the compiled reads.
    """
    if is_sql(name, function):
        return case((func.coalesce(function, "") == "", name), else_=func.concat(name, " (", function, ")"))
    return f"{name} ({function})" if function else name


def _attendees(values: list[str] | None) -> list[dict]:
    return [parse_attendee(n) for n in v.texts(values, "attendees", MAX_ATTENDEES, 200)]


def _instant(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("scheduledAt must include a UTC offset, e.g. 2026-11-24T15:00:00+01:00.", ["scheduledAt"])
    value = value.astimezone(dt.UTC)
    if not 2000 <= value.year <= 2100:
        raise Invalid("scheduledAt must be between the years 2000 and 2100.", ["scheduledAt"])
    return value


MEETING_CHECKS = {
    "scheduled_at": _instant,
    "status": None,
    "agenda": lambda values: v.texts(values, "agenda", MAX_AGENDA, 500),
    "attendees": _attendees,
    "decisions": lambda values: v.texts(values, "decisions", MAX_DECISIONS, 2000),
}


def held_month(meeting: SteeringMeeting) -> dt.date | None:
    """The UTC month a HELD meeting counts for; None when it does not count."""
    if meeting.status != MeetingStatus.HELD:
        return None
    return month_start(meeting.scheduled_at.astimezone(dt.UTC).date())


async def _steering_changed(session: AsyncSession, tenant_id: uuid.UUID, *months: dt.date | None) -> None:
    for month in {m for m in months if m is not None}:
        await mark_closed_months_stale(session, tenant_id, month, add_months(month, STEERING_WINDOW - 1))


async def schedule_meeting(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    scheduled_at: dt.datetime,
    agenda: list[str] | None = None,
    attendees: list[str] | None = None,
) -> SteeringMeeting:
    fields = v.checked(SteeringMeeting, MEETING_CHECKS, dict(
        scheduled_at=scheduled_at, status=MeetingStatus.SCHEDULED, agenda=agenda, attendees=attendees, decisions=[],
    ))
    return await editing.create(session, actor, tenant_id, SteeringMeeting(**fields))


async def update_meeting(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    meeting_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> SteeringMeeting:
    """Reschedule, record (status, who came, what was decided) or edit: set the fields given.

    The names are those of `MEETING_CHECKS`. A list given replaces the stored one (None or an empty
    list clears it); scheduledAt and status are required.
    """
    meeting = await editing.load(session, actor, SteeringMeeting, tenant_id, meeting_id)
    counted_before = held_month(meeting)
    changes = v.checked(SteeringMeeting, MEETING_CHECKS, changes)
    when = changes.get("scheduled_at", meeting.scheduled_at)
    status = changes.get("status", meeting.status)
    if status == MeetingStatus.HELD and when > dt.datetime.now(dt.UTC) + HELD_TOLERANCE:
        raise Invalid("A meeting scheduled in the future cannot be recorded as HELD.", ["status"])
    meeting, _ = await editing.update(
        session, actor, SteeringMeeting, tenant_id, meeting_id, changes, expected_version
    )
    counted_after = held_month(meeting)
    if counted_after != counted_before:
        await _steering_changed(session, tenant_id, counted_before, counted_after)
    return meeting


async def delete_meeting(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, meeting_id: uuid.UUID
) -> SteeringMeeting:
    """Delete the meeting and its action items."""
    meeting = await editing.delete(session, actor, SteeringMeeting, tenant_id, meeting_id)
    await _steering_changed(session, tenant_id, held_month(meeting))
    return meeting


ITEM_CHECKS = {
    "title": lambda value: v.text(value, "title", max_length=500),
    "owner": lambda value: v.text(value, "owner", required=False),
    "due_on": None,
    "status": None,
}


async def create_action_item(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    meeting_id: uuid.UUID,
    *,
    title: str,
    owner: str | None = None,
    due_on: dt.date | None = None,
) -> ActionItem:
    fields = v.checked(ActionItem, ITEM_CHECKS, dict(title=title, owner=owner, due_on=due_on))
    if not actor.sees(tenant_id) or await session.get(SteeringMeeting, (tenant_id, meeting_id)) is None:
        raise NotFound("SteeringMeeting not found.", ["meetingId"])
    item = ActionItem(meeting_id=meeting_id, status=ActionItemStatus.OPEN, **fields)
    return await editing.create(session, actor, tenant_id, item)


async def update_action_item(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> ActionItem:
    """Set the fields given (the names of `ITEM_CHECKS`); a None clears one, INVALID for a required one."""
    item, _ = await editing.update(
        session, actor, ActionItem, tenant_id, item_id, v.checked(ActionItem, ITEM_CHECKS, changes), expected_version
    )
    return item


async def delete_action_item(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, item_id: uuid.UUID
) -> ActionItem:
    return await editing.delete(session, actor, ActionItem, tenant_id, item_id)
