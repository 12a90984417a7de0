"""A steering meeting's agenda, derived when asked from the client's data as they stand, as of the
meeting's (UTC) day: what needs the executives' attention or decision.

In this order: goals of the meeting's fiscal year OFF_TRACK or AT_RISK; proposals awaiting a decision
(PROPOSED initiatives); risks whose acceptance ends within 60 days of the meeting (or has ended, and
so reads OPEN again), then other risks due for review by the meeting; findings of the latest
completed review without an initiative; initiatives approved or in progress whose target month is
in the meeting's fiscal quarter. Nothing is stored: the same meeting asked again after a change
answers the new agenda. The stored `agenda` (what the CIO wrote) stays as it is.

One definition for both read paths: `SECTIONS` holds each part's kind, line and condition, written
for loaded rows and for SQL alike (app/rules.py); `derive` walks them over the rows the executor
loads, the compiled read (app/api/compiled/fields/below_tenant.py) builds one statement of them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.goals.models import GoalStatus
from app.health.inputs import fiscal_year_of
from app.planning.models import InitiativeStatus
from app.risks.models import RiskStatus
from app.rules import (
    all_of,
    among,
    day_text,
    either,
    is_sql,
    joined,
    month_text,
    negated,
    on_or_before,
    spoken,
)

ACCEPTANCE_NOTICE = dt.timedelta(days=60)
GOALS_OF_CONCERN = (GoalStatus.OFF_TRACK, GoalStatus.AT_RISK)
UNDER_WAY = (InitiativeStatus.APPROVED, InitiativeStatus.IN_PROGRESS)
CANDIDATE_INITIATIVES = (InitiativeStatus.PROPOSED, *UNDER_WAY)


class AgendaItemKind(enum.StrEnum):
    GOAL_OFF_TRACK = "GOAL_OFF_TRACK"
    GOAL_AT_RISK = "GOAL_AT_RISK"
    PROPOSAL_AWAITING_DECISION = "PROPOSAL_AWAITING_DECISION"
    RISK_ACCEPTANCE_ENDING = "RISK_ACCEPTANCE_ENDING"
    RISK_REVIEW_DUE = "RISK_REVIEW_DUE"
    FINDING_WITHOUT_INITIATIVE = "FINDING_WITHOUT_INITIATIVE"
    INITIATIVE_DUE = "INITIATIVE_DUE"


@dataclass(frozen=True)
class Sources:
    """One tenant's candidate rows (loaded in bulk, each list in its area's order); `derive` picks
    those of a meeting's day."""

    fiscal_year_start_month: int
    goals: list  # OFF_TRACK or AT_RISK
    initiatives: list  # CANDIDATE_INITIATIVES
    risks: list  # not CLOSED, with a review date or ACCEPTED
    findings: list  # of the latest completed review, without an initiative, with `standard_title`


@dataclass(frozen=True)
class Item:
    kind: AgendaItemKind
    summary: str
    subject: str  # the type of `row`: "BusinessGoal", "Initiative", "Risk" or "Finding"
    row: Any


@dataclass(frozen=True)
class Section:
    """One part of the agenda, in the agenda's order: the rows of `source` (a field of `Sources`)
    for which `when(row, day, start_month)` holds (every row when None), each an item of
    `kind(row)` with `summary(row, day)`. The functions are written once for loaded rows and for
    SQL (app/rules.py): the executor's `derive` and the compiled report's statement both read them."""

    source: str
    subject: str
    kind: Callable[[Any], Any]
    summary: Callable[[Any, Any], Any]
    when: Callable[[Any, Any, Any], Any] | None = None


def in_fiscal_quarter(month, day, start_month):
    """`month` (a first of month, or None) is in the fiscal quarter holding `day`."""
    if month is None:
        return False
    (year, elapsed), (day_year, day_elapsed) = fiscal_year_of(month, start_month), fiscal_year_of(day, start_month)
    return all_of(*([month.is_not(None)] if is_sql(month) else []), year == day_year,
                  (elapsed - 1) // 3 == (day_elapsed - 1) // 3)


def acceptance_ending(r, day):
    """ACCEPTED until a day within ACCEPTANCE_NOTICE of `day` (or one already gone by)."""
    return all_of(r.status == RiskStatus.ACCEPTED, on_or_before(r.accepted_until, day + ACCEPTANCE_NOTICE))


SECTIONS = (
    Section("goals", "BusinessGoal", kind=lambda g: joined("GOAL_", g.status),
            summary=lambda g, day: joined("Goal ", spoken(g.status), ": ", g.title),
            when=lambda g, day, start: g.fiscal_year == fiscal_year_of(day, start)[0]),
    Section("initiatives", "Initiative", kind=lambda i: AgendaItemKind.PROPOSAL_AWAITING_DECISION.value,
            summary=lambda i, day: joined("Proposal awaiting a decision: ", i.title),
            when=lambda i, day, start: i.status == InitiativeStatus.PROPOSED),
    # Acceptances ending (or ended) first, then reviews due: a risk is on the agenda once.
    Section("risks", "Risk", kind=lambda r: AgendaItemKind.RISK_ACCEPTANCE_ENDING.value,
            summary=lambda r, day: joined("Acceptance ", either(r.accepted_until > day, "ends", "ended"), " ",
                                          day_text(r.accepted_until), ": ", r.title),
            when=lambda r, day, start: acceptance_ending(r, day)),
    Section("risks", "Risk", kind=lambda r: AgendaItemKind.RISK_REVIEW_DUE.value,
            summary=lambda r, day: joined("Review due ", day_text(r.review_due), ": ", r.title),
            when=lambda r, day, start: all_of(negated(acceptance_ending(r, day)), on_or_before(r.review_due, day))),
    Section("findings", "Finding", kind=lambda f: AgendaItemKind.FINDING_WITHOUT_INITIATIVE.value,
            summary=lambda f, day: joined("Finding without an initiative: ", f.standard_title)),
    Section("initiatives", "Initiative", kind=lambda i: AgendaItemKind.INITIATIVE_DUE.value,
            summary=lambda i, day: joined("Due by ", month_text(i.target_month), ": ", i.title),
            when=lambda i, day, start: all_of(among(i.status, UNDER_WAY), in_fiscal_quarter(i.target_month, day, start))),
)


def derive(day: dt.date, sources: Sources) -> list[Item]:
    start = sources.fiscal_year_start_month
    return [Item(AgendaItemKind(section.kind(row)), section.summary(row, day), section.subject, row)
            for section in SECTIONS for row in getattr(sources, section.source)
            if section.when is None or section.when(row, day, start)]
