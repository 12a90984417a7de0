"""The calendar feed as a calendar app meets it: the URL from `calendarFeedUrl`, fetched over HTTP
and read back with a real iCalendar parser (the `icalendar` library); reset, unknown and disabled."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import icalendar
from sqlalchemy import update

from app.api import ids
from app.auth.feeds import ID_LENGTH, MAC_LENGTH
from app.steering import actions
from app.steering.models import MeetingStatus
from app.tenants.models import Role, User
from tests.apitools import error_codes

FEED_URL = "{ calendarFeedUrl }"
RESET = "mutation { resetCalendarFeed { url userErrors { code message } } }"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
AGENDA = ["Budget; Q3, Q4 \\ capex", "Line one\nline two", "Réseau et sécurité — " + "déploiement " * 12 + "fin"]
ATTENDEES = ["Dana Ruiz (Finance)", 'Sam "the CFO" Lee, Jr.', "Kim Ng"]


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


async def feed_url(api, user) -> str:
    return (await api.data(user, FEED_URL))["calendarFeedUrl"]


async def fetch(api, url: str):
    return await api.http.get(path_of(url))


async def events(api, user) -> dict[str, icalendar.Event]:
    """The feed's events by UID, parsed from the HTTP answer."""
    response = await fetch(api, await feed_url(api, user))
    assert response.status_code == 200, response.text
    parsed = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def uid(meeting) -> str:
    return f"{ids.encode('SteeringMeeting', meeting.id, meeting.tenant_id)}@localhost"


async def schedule(api, tenant, when: dt.datetime, **fields):
    return await api.act(tenant, actions.schedule_meeting, scheduled_at=when, **fields)


async def test_the_feed_holds_the_meetings_of_the_viewers_tenants_as_a_calendar_reads_them(api, scene):
    paris = dt.timezone(dt.timedelta(hours=1))
    upcoming = await schedule(api, scene.tenant, (NOW + dt.timedelta(days=10)).astimezone(paris),
                              agenda=AGENDA, attendees=ATTENDEES)
    cancelled = await schedule(api, scene.tenant, NOW + dt.timedelta(days=40), agenda=["Roadmap"])
    await api.act(scene.tenant, actions.update_meeting, cancelled.id, status=MeetingStatus.CANCELLED)
    recent = await schedule(api, scene.tenant, NOW - dt.timedelta(days=30))
    old = await schedule(api, scene.tenant, NOW - dt.timedelta(days=100))
    ungranted = await schedule(api, scene.other, NOW + dt.timedelta(days=3))
    foreign = await schedule(api, scene.foreign, NOW + dt.timedelta(days=3))

    response = await fetch(api, await feed_url(api, scene.cio))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert re.search(rb"[^\r]\n", response.content) is None and response.content.endswith(b"END:VCALENDAR\r\n")
    assert max(len(line) for line in response.content.split(b"\r\n")) <= 75  # folded, in octets

    found = await events(api, scene.cio)
    assert set(found) == {uid(upcoming), uid(cancelled), uid(recent)}
    assert uid(old) not in found and uid(ungranted) not in found and uid(foreign) not in found
    event = found[uid(upcoming)]
    assert event.decoded("DTSTART") == NOW + dt.timedelta(days=10)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0) and "DTSTART:" in event.to_ical().decode()
    assert event.end - event.start == dt.timedelta(hours=1)
    assert str(event["SUMMARY"]) == f"Steering meeting: {scene.tenant.name}"
    assert str(event["DESCRIPTION"]) == "Agenda:\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(AGENDA, 1))
    assert [a.params["CN"] for a in event["ATTENDEE"]] == ["Dana Ruiz (Finance)", "Sam 'the CFO' Lee, Jr.", "Kim Ng"]
    assert str(event["STATUS"]) == "CONFIRMED" and str(found[uid(cancelled)]["STATUS"]) == "CANCELLED"
    assert str(found[uid(recent)]["DESCRIPTION"]) == "No agenda yet."


async def test_an_event_keeps_its_uid_when_the_meeting_changes(api, scene):
    meeting = await schedule(api, scene.tenant, NOW + dt.timedelta(days=5))
    before = (await events(api, scene.cio))[uid(meeting)]
    await api.act(scene.tenant, actions.update_meeting, meeting.id, scheduled_at=NOW + dt.timedelta(days=6))
    after = (await events(api, scene.cio))[uid(meeting)]
    assert after.decoded("DTSTART") - before.decoded("DTSTART") == dt.timedelta(days=1)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


async def test_an_admin_sees_every_tenant_of_the_practice_and_an_executive_their_own(api, scene, world):
    mine = await schedule(api, scene.tenant, NOW + dt.timedelta(days=2))
    other = await schedule(api, scene.other, NOW + dt.timedelta(days=2))
    foreign = await schedule(api, scene.foreign, NOW + dt.timedelta(days=2))
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    assert {uid(mine), uid(other)} <= set(await events(api, admin)) and uid(foreign) not in await events(api, admin)
    assert set(await events(api, scene.executive)) == {uid(mine)}


async def test_the_url_is_absolute_stable_and_reset_voids_it(api, scene):
    first = await feed_url(api, scene.cio)
    assert first == await feed_url(api, scene.cio)
    assert re.fullmatch(rf"http://localhost:8000/calendar/[0-9a-f]{{{ID_LENGTH}}}[\w-]{{{MAC_LENGTH}}}\.ics", first)

    payload = (await api.data(scene.cio, RESET))["resetCalendarFeed"]
    assert payload["userErrors"] == [] and payload["url"] != first
    assert payload["url"] == await feed_url(api, scene.cio)
    assert (await fetch(api, first)).status_code == 404
    assert (await fetch(api, payload["url"])).status_code == 200
    assert "user.reset_calendar_feed" in await api.audit_actions(scene.tenant)


async def test_an_unknown_or_forged_secret_is_404(api, scene):
    mine = await feed_url(api, scene.cio)
    secret = mine.rsplit("/", 1)[1].removesuffix(".ics")
    other_user = scene.executive.id.hex + secret[ID_LENGTH:]  # my signature, another user's id
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for probe in (other_user, tampered, uuid.uuid4().hex + secret[ID_LENGTH:], "nothing", "x" * 75, "%00", secret[:-2]):
        response = await api.http.get(f"/calendar/{probe}.ics")
        assert response.status_code == 404, probe
        assert "calendar" not in response.headers.get("content-type", "")


async def test_a_disabled_users_feed_is_404(api, scene):
    url = await feed_url(api, scene.cio)
    async with api.services.sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.id == scene.cio.id).values(disabled_at=NOW))
    assert (await fetch(api, url)).status_code == 404


async def test_signed_out_there_is_no_feed_url(api):
    assert error_codes(await api.post(FEED_URL)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.post(RESET)) == ["UNAUTHENTICATED"]


async def test_a_feed_costs_four_statements_whatever_the_tenants_and_meetings(api, world, count_statements):
    """The scope, the secret's user, who that user is and sees (one statement), the meetings."""
    counts = {}
    for n in (1, 12):
        practice = await world.practice()
        admin = await world.user(practice, Role.PRACTICE_ADMIN)
        for _ in range(n):
            tenant = await world.tenant(practice)
            for days in (1, 2):
                await schedule(api, tenant, NOW + dt.timedelta(days=days))
        url = await feed_url(api, admin)
        with count_statements() as log:
            response = await fetch(api, url)
        assert response.status_code == 200 and response.text.count("BEGIN:VEVENT") == 2 * n
        counts[n] = log
    assert [len(log) for log in counts.values()] == [4, 4], counts[12].report()
