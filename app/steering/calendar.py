"""Steering meetings as an iCalendar feed (RFC 5545), written by hand: the format is small.

One VEVENT a meeting: its UID is the meeting's Relay id at the public host (stable across edits
and resets of the feed), times are UTC, a meeting lasts an hour (fcio stores when it starts
only), SEQUENCE is its version, the agenda is the description, each attendee an ATTENDEE with
their name and function (fcio keeps no address: the value is `invalid:nomail`, the placeholder
calendar exports use), and a CANCELLED meeting is STATUS:CANCELLED. Every text a user typed is
escaped, and lines are folded at 75 octets, never inside a UTF-8 character.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.steering.actions import attendee_label
from app.steering.models import MeetingStatus

DURATION = "PT1H"
# What the feed holds: meetings from this many days back, and every later one.
DAYS_BACK = 90
MAX_OCTETS = 75
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # not allowed in TEXT; a newline is escaped instead


@dataclass(frozen=True)
class FeedMeeting:
    """What the feed shows of a meeting (a row of the meetings table and its tenant's name)."""

    uid: str
    tenant_name: str
    scheduled_at: dt.datetime
    updated_at: dt.datetime
    status: MeetingStatus
    version: int
    agenda: list[str]
    attendees: list[dict]


def text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped, control characters dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return CONTROL.sub("", value)


def quoted(value: str) -> str:
    """A parameter value in double quotes (which it may not contain) and without control characters."""
    return '"' + CONTROL.sub("", value.replace('"', "'").replace("\n", " ").replace("\r", " ")) + '"'


def utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """The content line in pieces of at most 75 octets, each after the first led by a space."""
    pieces, current, size = [], [], 0
    for char in line:
        octets = len(char.encode())
        if size + octets > MAX_OCTETS:
            pieces.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return "\r\n".join(pieces)


def description(agenda: list[str]) -> str:
    return "Agenda:\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(agenda, 1)) if agenda else "No agenda yet."


def event(meeting: FeedMeeting) -> list[str]:
    """Its DTSTAMP is its last change: a feed has no METHOD, and RFC 5545 then reads it so."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{text(meeting.uid)}",
        f"DTSTAMP:{utc(meeting.updated_at)}",
        f"LAST-MODIFIED:{utc(meeting.updated_at)}",
        f"DTSTART:{utc(meeting.scheduled_at)}",
        f"DURATION:{DURATION}",
        f"SEQUENCE:{meeting.version}",
        f"SUMMARY:{text(f'Steering meeting: {meeting.tenant_name}')}",
        f"DESCRIPTION:{text(description(meeting.agenda))}",
        f"STATUS:{'CANCELLED' if meeting.status == MeetingStatus.CANCELLED else 'CONFIRMED'}",
    ]
    for person in meeting.attendees:
        label = attendee_label(person["name"], person.get("function"))
        lines.append(f"ATTENDEE;CN={quoted(label)};CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT:invalid:nomail")
    lines.append("END:VEVENT")
    return lines


def calendar(meetings: Iterable[FeedMeeting], name: str) -> bytes:
    """The whole feed, UTF-8 with CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fcio//Steering meetings//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for meeting in meetings:
        lines.extend(event(meeting))
    lines.append("END:VCALENDAR")
    return ("".join(fold(line) + "\r\n" for line in lines)).encode()
