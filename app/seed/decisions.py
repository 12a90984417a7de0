"""The demo's decision register: what the first client's executive signed in the steering meetings.

A proposal approved and one declined (with its reason), a risk accepted until a few months ahead,
all through the actions as the executive in the last meeting held; and a risk whose acceptance,
recorded by the CIO in the first meeting, ended before today, so it reads OPEN again. That one is
history: the actions only accept until a day to come, so its rows are written as they were then.
Run after the users exist (a decision names who took it), which the bulk tenant rows do not.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.decisions import actions
from app.decisions.models import Decision, DecisionKind
from app.months import months_after, utc_today
from app.planning.actions import create_initiative
from app.planning.models import Initiative, InitiativeStatus
from app.risks.models import Risk, RiskStatus, RiskTreatment
from app.steering.models import MeetingStatus, SteeringMeeting
from app.tenants.models import Role, User

PROPOSALS = ("Replace the practice-management server", "Move phones to Teams")  # made when the seed drew fewer


async def demo_decisions(sessionmaker: async_sessionmaker, practice_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    today = utc_today()
    async with tenant_session(sessionmaker, [tenant_id]) as s:
        users = {u.role: u.id for u in await s.scalars(select(User).where(User.practice_id == practice_id))}
        executive = Principal("user", users[Role.CLIENT_EXECUTIVE], practice_id, Role.CLIENT_EXECUTIVE, frozenset({tenant_id}))
        cio = Principal("user", users[Role.CIO], practice_id, Role.CIO, frozenset({tenant_id}))
        held = list(await s.scalars(select(SteeringMeeting).where(
            SteeringMeeting.tenant_id == tenant_id, SteeringMeeting.status == MeetingStatus.HELD).order_by(SteeringMeeting.scheduled_at)))
        proposals = list(await s.scalars(select(Initiative).where(
            Initiative.tenant_id == tenant_id, Initiative.status == InitiativeStatus.PROPOSED).order_by(Initiative.id).limit(2)))
        for title in PROPOSALS[len(proposals):]:
            proposals.append(await create_initiative(s, cio, tenant_id, title=title))
        risks = list(await s.scalars(select(Risk).where(Risk.tenant_id == tenant_id, Risk.status != RiskStatus.CLOSED)
                                     .order_by(Risk.score.desc(), Risk.id).limit(2)))
        last, first = held[-1].id, held[0]
        await actions.decide_initiative(s, executive, tenant_id, proposals[0].id, approve=True, meeting_id=last)
        await actions.decide_initiative(s, executive, tenant_id, proposals[1].id, approve=False, meeting_id=last,
                                        reason="Not before the new fiscal year; revisit with the budget.")
        await actions.accept_risk(s, executive, tenant_id, risks[0].id, until=months_after(today, 4), meeting_id=last,
                                  reason="The cost of the fix exceeds the exposure until the lease ends.")
        ended = min(first.scheduled_at.date() + dt.timedelta(days=90), today - dt.timedelta(days=1))
        await s.execute(update(Risk).where(Risk.tenant_id == tenant_id, Risk.id == risks[1].id).values(
            status=RiskStatus.ACCEPTED, treatment=RiskTreatment.ACCEPT, accepted_until=ended))
        s.add(Decision(tenant_id=tenant_id, kind=DecisionKind.RISK_ACCEPTED, decided_by=cio.id, decided_at=first.scheduled_at,
                       summary=f"Accepted until {ended}: {risks[1].title}", reason="Accepted for one quarter, on the CFO's word.",
                       expires_on=ended, risk_id=risks[1].id, meeting_id=first.id))
