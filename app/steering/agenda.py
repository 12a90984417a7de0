"""A steering meeting's agenda, derived when asked from the client's data as they stand, as of the
meeting's (UTC) day: what needs the executives' attention or decision.

In this order: goals of the meeting's fiscal year OFF_TRACK or AT_RISK; proposals awaiting a decision
(PROPOSED initiatives); risks whose acceptance ends within 60 days of the meeting (or has ended, and
so reads OPEN again), then other risks due for review by the meeting; findings of the latest
completed review without an initiative; initiatives approved or in progress whose target month is
in the meeting's fiscal quarter. Nothing is stored: the same meeting asked again after a change
answers the new agenda. The stored `agenda` (what the CIO wrote) stays as it is.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.goals.models import GoalStatus
from app.health.inputs import fiscal_year_of
from app.lifecycle.actions import quarter_start
from app.months import add_months, month_start
from app.planning.models import InitiativeStatus
from app.risks.models import RiskStatus

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


def fiscal_quarter(day: dt.date, start_month: int) -> tuple[dt.date, dt.date]:
    """The first and last month of the fiscal quarter holding `day` (the lifecycle forecast's quarters)."""
    first = quarter_start(day, start_month)
    return first, add_months(first, 2)


def derive(day: dt.date, sources: Sources) -> list[Item]:
    year, _ = fiscal_year_of(month_start(day), sources.fiscal_year_start_month)
    first, last = fiscal_quarter(day, sources.fiscal_year_start_month)
    return [
        *(Item(AgendaItemKind(f"GOAL_{g.status.value}"), f"Goal {g.status.value.lower().replace('_', ' ')}: {g.title}",
               "BusinessGoal", g) for g in sources.goals if g.fiscal_year == year),
        *(Item(AgendaItemKind.PROPOSAL_AWAITING_DECISION, f"Proposal awaiting a decision: {i.title}", "Initiative", i)
          for i in sources.initiatives if i.status == InitiativeStatus.PROPOSED),
        *_risks(day, sources.risks),
        *(Item(AgendaItemKind.FINDING_WITHOUT_INITIATIVE, f"Finding without an initiative: {f.standard_title}", "Finding", f)
          for f in sources.findings),
        *(Item(AgendaItemKind.INITIATIVE_DUE, f"Due by {i.target_month:%Y-%m}: {i.title}", "Initiative", i)
          for i in sources.initiatives
          if i.status in UNDER_WAY and i.target_month is not None and first <= i.target_month <= last),
    ]


def _risks(day: dt.date, risks: Iterable) -> list[Item]:
    """Acceptances ending (or ended) first, then reviews due; a risk is on the agenda once."""
    ending, due = [], []
    for r in risks:
        if r.status == RiskStatus.ACCEPTED and r.accepted_until is not None and r.accepted_until <= day + ACCEPTANCE_NOTICE:
            verb = "ends" if r.accepted_until > day else "ended"
            ending.append(Item(AgendaItemKind.RISK_ACCEPTANCE_ENDING, f"Acceptance {verb} {r.accepted_until}: {r.title}", "Risk", r))
        elif r.review_due is not None and r.review_due <= day:
            due.append(Item(AgendaItemKind.RISK_REVIEW_DUE, f"Review due {r.review_due}: {r.title}", "Risk", r))
    return ending + due
