"""Steering meetings and action items through GraphQL: schedule, list, next, record, edit, delete."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.health.models import StaleHealthMonth
from app.months import add_months, current_month
from app.steering import actions
from app.steering.models import ActionItem, MeetingStatus, SteeringMeeting
from app.tenants.models import Role
from tests.apitools import Scene, error_codes, user_error_codes

MEETING = "id version scheduledAt status attendees attendeeDetails { name function } agenda decisions"
ERRORS = "userErrors { field code message }"
SCHEDULE = f"mutation($input: ScheduleSteeringMeetingInput!) {{ scheduleSteeringMeeting(input: $input) {{ steeringMeeting {{ {MEETING} }} {ERRORS} }} }}"
RECORD = f"mutation($input: RecordSteeringMeetingInput!) {{ recordSteeringMeeting(input: $input) {{ steeringMeeting {{ {MEETING} }} {ERRORS} }} }}"
UPDATE = f"mutation($input: UpdateSteeringMeetingInput!) {{ updateSteeringMeeting(input: $input) {{ steeringMeeting {{ {MEETING} }} {ERRORS} }} }}"
DELETE = "mutation($input: DeleteInput!) { deleteSteeringMeeting(input: $input) { deletedId userErrors { field code } } }"
ITEM = "id version title owner dueOn status meeting { id }"
CREATE_ITEM = f"mutation($input: CreateActionItemInput!) {{ createActionItem(input: $input) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
UPDATE_ITEM = f"mutation($input: UpdateActionItemInput!) {{ updateActionItem(input: $input) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
DELETE_ITEM = "mutation($input: DeleteInput!) { deleteActionItem(input: $input) { deletedId userErrors { field code } } }"
LIST = """query($id: ID!, $from: Date, $to: Date) { tenant(id: $id) {
  steeringMeetings(from: $from, to: $to) { scheduledAt status } nextSteeringMeeting { scheduledAt } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on SteeringMeeting { status } ... on ActionItem { title } } }"
ITEMS = """query($id: ID!, $status: ActionItemStatus) { node(id: $id) { ... on SteeringMeeting {
  actionItems(status: $status) { totalCount nodes { title status } } } } }"""

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def at(days: float) -> dt.datetime:
    return NOW + dt.timedelta(days=days)


async def schedule(api, tenant, when: dt.datetime, **fields):
    return await api.act(tenant, actions.schedule_meeting, scheduled_at=when, **fields)


async def meeting_rows(api, tenant) -> list:
    return await api.rows(
        [tenant.id],
        select(SteeringMeeting.status, SteeringMeeting.version).where(SteeringMeeting.tenant_id == tenant.id),
    )


async def item_rows(api, tenant) -> list:
    return await api.rows([tenant.id], select(ActionItem.title, ActionItem.version).where(ActionItem.tenant_id == tenant.id))


async def stale_months(api, tenant) -> list[dt.date]:
    rows = await api.rows([tenant.id], select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant.id))
    return sorted(r.month for r in rows)


def test_attendees_are_names_with_an_optional_function():
    assert actions.parse_attendee("Dana Ruiz (Finance)") == {"name": "Dana Ruiz", "function": "Finance"}
    assert actions.parse_attendee("Dana Ruiz") == {"name": "Dana Ruiz", "function": None}
    assert actions.attendee_label("Dana Ruiz", "Finance") == "Dana Ruiz (Finance)"


async def test_schedule_a_meeting(api, scene: Scene):
    payload = await api.mutate(scene.cio, SCHEDULE, {
        "tenantId": scene.gid(scene.tenant), "scheduledAt": "2027-01-12T15:00:00+01:00",
        "agenda": ["Budget review", " Risks "], "attendees": ["Dana Ruiz (Finance)", "Sam Lee"],
    })

    assert payload["userErrors"] == []
    assert payload["steeringMeeting"] | {"id": None} == {
        "id": None, "version": 1, "scheduledAt": "2027-01-12T14:00:00+00:00", "status": "SCHEDULED",
        "attendees": ["Dana Ruiz (Finance)", "Sam Lee"],
        "attendeeDetails": [{"name": "Dana Ruiz", "function": "Finance"}, {"name": "Sam Lee", "function": None}],
        "agenda": ["Budget review", "Risks"], "decisions": [],
    }
    assert (await api.audit_actions(scene.tenant))[-1] == "steering_meeting.create"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"scheduledAt": "2027-01-12T15:00:00"}, "INVALID", ["scheduledAt"]),
        ({"attendees": ["Dana", " "]}, "INVALID", ["attendees", "1"]),
        ({"agenda": ["item"] * 101}, "LIMIT", ["agenda"]),
    ],
)
async def test_schedule_refuses_bad_input(api, scene: Scene, change, code, field):
    input = {"tenantId": scene.gid(scene.tenant), "scheduledAt": "2027-01-12T15:00:00Z"} | change

    payload = await api.mutate(scene.cio, SCHEDULE, input)

    assert user_error_codes(payload) == [(code, field)]
    assert await meeting_rows(api, scene.tenant) == []


async def test_meetings_by_date_range_and_the_next_scheduled_one(api, scene: Scene):
    await schedule(api, scene.tenant, at(-1))  # past, still SCHEDULED: not "next"
    cancelled = await schedule(api, scene.tenant, at(2))
    await api.act(scene.tenant, actions.update_meeting, cancelled.id, status=MeetingStatus.CANCELLED)
    await schedule(api, scene.tenant, at(40))
    await schedule(api, scene.tenant, at(9))

    data = (await api.data(scene.executive, LIST, {"id": scene.gid(scene.tenant)}))["tenant"]
    assert [m["scheduledAt"] for m in data["steeringMeetings"]] == [at(d).isoformat() for d in (-1, 2, 9, 40)]
    assert data["nextSteeringMeeting"] == {"scheduledAt": at(9).isoformat()}

    window = {"id": scene.gid(scene.tenant), "from": at(2).date().isoformat(), "to": at(9).date().isoformat()}
    ranged = (await api.data(scene.cio, LIST, window))["tenant"]["steeringMeetings"]
    assert ranged == [{"scheduledAt": at(2).isoformat(), "status": "CANCELLED"}, {"scheduledAt": at(9).isoformat(), "status": "SCHEDULED"}]


async def test_next_meeting_is_each_tenants_own_when_listed_together(api, scene: Scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    await schedule(api, scene.tenant, at(3))
    await schedule(api, scene.other, at(5))
    await schedule(api, scene.other, at(4))
    query = "{ tenants { nodes { id nextSteeringMeeting { scheduledAt } } } }"

    tenants = (await api.data(admin, query))["tenants"]["nodes"]

    assert {t["id"]: t["nextSteeringMeeting"] for t in tenants} == {
        scene.gid(scene.tenant): {"scheduledAt": at(3).isoformat()},
        scene.gid(scene.other): {"scheduledAt": at(4).isoformat()},
    }


async def test_recording_a_meeting_held_in_a_closed_month_marks_the_steering_window_stale(api, scene: Scene):
    two_ago = add_months(current_month(), -2)
    meeting = await schedule(api, scene.tenant, dt.datetime(two_ago.year, two_ago.month, 10, 9, tzinfo=dt.UTC))
    gid = scene.object_id("SteeringMeeting", meeting)

    payload = await api.mutate(scene.cio, RECORD, {
        "id": gid, "status": "HELD", "attendees": ["Dana Ruiz (Finance)"], "decisions": ["Replace the firewall"],
    })

    assert payload["userErrors"] == []
    recorded = payload["steeringMeeting"]
    assert (recorded["status"], recorded["version"], recorded["decisions"]) == ("HELD", 2, ["Replace the firewall"])
    # The meeting counts for its month and the two after it; only the closed ones are marked.
    assert await stale_months(api, scene.tenant) == [two_ago, add_months(two_ago, 1)]
    assert (await api.audit_actions(scene.tenant))[-1] == "steering_meeting.update"


async def test_record_refuses_a_future_meeting_held_and_a_stale_version(api, scene: Scene):
    meeting = await schedule(api, scene.tenant, at(30))
    gid = scene.object_id("SteeringMeeting", meeting)

    future = await api.mutate(scene.cio, RECORD, {"id": gid, "status": "HELD"})
    assert user_error_codes(future) == [("INVALID", ["status"])]
    cancelled = await api.mutate(scene.cio, RECORD, {"id": gid, "status": "CANCELLED", "expectedVersion": 1})
    assert cancelled["steeringMeeting"]["status"] == "CANCELLED"
    stale = await api.mutate(scene.cio, RECORD, {"id": gid, "status": "SCHEDULED", "expectedVersion": 1})
    assert user_error_codes(stale) == [("CONFLICT", ["expectedVersion"])]
    assert await meeting_rows(api, scene.tenant) == [(MeetingStatus.CANCELLED, 2)]
    assert await stale_months(api, scene.tenant) == []


async def test_reschedule_and_delete(api, scene: Scene):
    meeting = await schedule(api, scene.tenant, at(10), agenda=["Budget"])
    gid = scene.object_id("SteeringMeeting", meeting)

    moved = await api.mutate(scene.cio, UPDATE, {"id": gid, "scheduledAt": at(12).isoformat(), "agenda": []})
    assert moved["userErrors"] == []
    assert (moved["steeringMeeting"]["scheduledAt"], moved["steeringMeeting"]["agenda"]) == (at(12).isoformat(), [])
    await api.act(scene.tenant, actions.create_action_item, meeting.id, title="Send minutes")

    deleted = await api.mutate(scene.cio, DELETE, {"id": gid})

    assert deleted == {"deletedId": gid, "userErrors": []}
    assert await meeting_rows(api, scene.tenant) == []
    assert await item_rows(api, scene.tenant) == []


async def test_action_items(api, scene: Scene):
    meeting = await schedule(api, scene.tenant, at(-3))
    meeting_gid = scene.object_id("SteeringMeeting", meeting)

    created = await api.mutate(scene.cio, CREATE_ITEM, {"meetingId": meeting_gid, "title": "Buy a UPS", "owner": "Sam", "dueOn": "2026-12-15"})
    assert created["userErrors"] == []
    item = created["actionItem"]
    assert item | {"id": None} == {
        "id": None, "version": 1, "title": "Buy a UPS", "owner": "Sam", "dueOn": "2026-12-15", "status": "OPEN",
        "meeting": {"id": meeting_gid},
    }
    await api.mutate(scene.cio, CREATE_ITEM, {"meetingId": meeting_gid, "title": "Test restores"})
    done = await api.mutate(scene.cio, UPDATE_ITEM, {"id": item["id"], "expectedVersion": 1, "status": "DONE"})
    assert (done["actionItem"]["status"], done["actionItem"]["version"]) == ("DONE", 2)
    stale = await api.mutate(scene.cio, UPDATE_ITEM, {"id": item["id"], "expectedVersion": 1, "title": "x"})
    assert user_error_codes(stale) == [("CONFLICT", ["expectedVersion"])]
    blank = await api.mutate(scene.cio, CREATE_ITEM, {"meetingId": meeting_gid, "title": " "})
    assert user_error_codes(blank) == [("INVALID", ["title"])]

    open_items = (await api.data(scene.executive, ITEMS, {"id": meeting_gid, "status": "OPEN"}))["node"]["actionItems"]
    assert open_items == {"totalCount": 1, "nodes": [{"title": "Test restores", "status": "OPEN"}]}
    assert (await api.data(scene.executive, NODE, {"id": item["id"]}))["node"] == {"id": item["id"], "title": "Buy a UPS"}

    assert (await api.mutate(scene.cio, DELETE_ITEM, {"id": item["id"]}))["deletedId"] == item["id"]
    assert await item_rows(api, scene.tenant) == [("Test restores", 1)]


async def test_a_client_executive_cannot_write(api, scene: Scene):
    meeting = await schedule(api, scene.tenant, at(-3))
    item = await api.act(scene.tenant, actions.create_action_item, meeting.id, title="Minutes")
    gid, item_gid = scene.object_id("SteeringMeeting", meeting), scene.object_id("ActionItem", item)

    for query, input in [
        (SCHEDULE, {"tenantId": scene.gid(scene.tenant), "scheduledAt": at(5).isoformat()}),
        (RECORD, {"id": gid, "status": "HELD"}),
        (UPDATE, {"id": gid, "agenda": ["x"]}),
        (DELETE, {"id": gid}),
        (CREATE_ITEM, {"meetingId": gid, "title": "x"}),
        (UPDATE_ITEM, {"id": item_gid, "title": "x"}),
        (DELETE_ITEM, {"id": item_gid}),
    ]:
        assert error_codes(await api.run(scene.executive, query, {"input": input})) == ["FORBIDDEN"], query
    assert await meeting_rows(api, scene.tenant) == [(MeetingStatus.SCHEDULED, 1)]
    assert await item_rows(api, scene.tenant) == [("Minutes", 1)]


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_another_tenants_meetings_do_not_exist_for_the_cio(api, scene: Scene, which):
    tenant = getattr(scene, which)
    meeting = await schedule(api, tenant, at(-3))
    item = await api.act(tenant, actions.create_action_item, meeting.id, title="Theirs")
    gid, item_gid = scene.object_id("SteeringMeeting", meeting), scene.object_id("ActionItem", item)

    for node_id in (gid, item_gid):
        assert (await api.data(scene.cio, NODE, {"id": node_id}))["node"] is None
    assert (await api.data(scene.cio, LIST, {"id": scene.gid(tenant)}))["tenant"] is None
    for query, input, field in [
        (SCHEDULE, {"tenantId": scene.gid(tenant), "scheduledAt": at(5).isoformat()}, "tenantId"),
        (RECORD, {"id": gid, "status": "HELD"}, "id"),
        (UPDATE, {"id": gid, "agenda": ["x"]}, "id"),
        (DELETE, {"id": gid}, "id"),
        (CREATE_ITEM, {"meetingId": gid, "title": "x"}, "meetingId"),
        (UPDATE_ITEM, {"id": item_gid, "title": "x"}, "id"),
        (DELETE_ITEM, {"id": item_gid}, "id"),
    ]:
        assert user_error_codes(await api.mutate(scene.cio, query, input)) == [("NOT_FOUND", [field])], query
    assert await meeting_rows(api, tenant) == [(MeetingStatus.SCHEDULED, 1)]
    assert await item_rows(api, tenant) == [("Theirs", 1)]
    assert await stale_months(api, tenant) == []


async def test_the_widest_date_range_lists_everything(api, scene: Scene):
    await schedule(api, scene.tenant, at(1))

    body = await api.run(scene.cio, LIST, {"id": scene.gid(scene.tenant), "from": "0001-01-01", "to": "9999-12-31"})

    assert "errors" not in body
    assert len(body["data"]["tenant"]["steeringMeetings"]) == 1
