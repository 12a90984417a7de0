"""The client's decisions: an initiative approved or declined, a risk accepted until a date, a note.

Client executives make these two writes for their own tenant (`require_decider`; every other write
of theirs is FORBIDDEN); CIOs and admins record the same on the client's word. Each decision is one
row of the register, added and never edited: a changed mind is a new decision. The decided
initiative or risk changes in the same transaction, and the audit event of the call holds the
object before and after with the decision beside it.

Risks and initiatives are read as they stand when a score is computed (DESIGN.md), so no decision
marks a past month stale; an accepted risk counts as open again in scoring once its acceptance
has expired (app/risks/rules.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.decisions.models import Decision, DecisionKind
from app.errors import Invalid, Limit, NotFound
from app.guards import require_decider, require_writer, visible_tenant
from app.months import months_after, utc_today
from app.planning.models import Initiative, InitiativeStatus
from app.risks.models import Risk, RiskStatus, RiskTreatment
from app.steering.models import SteeringMeeting

ACCEPTANCE_MONTHS = 12  # an acceptance ends at most this many calendar months after the day it is given
MAX_REASON = 5000


def latest_acceptance_end(today: dt.date) -> dt.date:
    """The last `until` an acceptance given on `today` may have: the same day 12 calendar months on
    (the month's last day when it is shorter: 2028-02-29 -> 2029-02-28)."""
    return months_after(today, ACCEPTANCE_MONTHS)


def _until(value: dt.date, today: dt.date) -> dt.date:
    """After today (the risk reads OPEN again on that day) and at most 12 calendar months ahead."""
    latest = latest_acceptance_end(today)
    if not today < value <= latest:
        raise Invalid(f"until must be after today ({today}) and at most {ACCEPTANCE_MONTHS} months ahead "
                      f"(on or before {latest}).", ["until"])
    return value


def _reason(value: str | None, required: bool) -> str | None:
    return v.text(value, "reason", max_length=MAX_REASON, required=required)


async def _meeting(session: AsyncSession, tenant_id: uuid.UUID, meeting_id: uuid.UUID | None) -> uuid.UUID | None:
    """The meeting a decision was taken in must be one of its tenant's: another's does not exist."""
    if meeting_id is not None and await session.get(SteeringMeeting, (tenant_id, meeting_id)) is None:
        raise NotFound("SteeringMeeting not found.", ["meetingId"])
    return meeting_id


def _decision(actor: Principal, tenant_id: uuid.UUID, **fields) -> Decision:
    return Decision(tenant_id=tenant_id, decided_by=actor.id, **fields)


async def _decided(session: AsyncSession, actor: Principal, obj, before: dict, decision: Decision, action: str) -> Decision:
    """Write the decision beside its changed object; one audit event with the object before and after."""
    session.add(decision)
    await session.flush()
    await session.refresh(decision)
    after = {**snapshot(obj), "decision": snapshot(decision)}
    await record(session, actor, obj.tenant_id, action, type(obj).__name__, obj.id, before, after)
    return decision


async def decide_initiative(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    initiative_id: uuid.UUID,
    *,
    approve: bool,
    reason: str | None = None,
    meeting_id: uuid.UUID | None = None,
) -> Decision:
    """PROPOSED -> APPROVED, or (declined) -> DEFERRED; a decline needs its reason, the register keeps it."""
    initiative = await editing.load(session, actor, Initiative, tenant_id, initiative_id, "initiativeId")
    require_decider(actor)
    reason = _reason(reason, required=not approve)
    meeting_id = await _meeting(session, tenant_id, meeting_id)
    if initiative.status != InitiativeStatus.PROPOSED:
        raise Invalid(f"Only a PROPOSED initiative can be decided; this one is {initiative.status.value}.", ["initiativeId"])
    before = snapshot(initiative)
    initiative.status = InitiativeStatus.APPROVED if approve else InitiativeStatus.DEFERRED
    kind = DecisionKind.INITIATIVE_APPROVED if approve else DecisionKind.INITIATIVE_DECLINED
    decision = _decision(actor, tenant_id, kind=kind, summary=f"{'Approved' if approve else 'Declined'}: {initiative.title}",
                         reason=reason, initiative_id=initiative.id, meeting_id=meeting_id)
    return await _decided(session, actor, initiative, before, decision, "initiative.decide")


async def accept_risk(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    risk_id: uuid.UUID,
    *,
    until: dt.date,
    reason: str,
    meeting_id: uuid.UUID | None = None,
) -> Decision:
    """ACCEPTED (treatment ACCEPT) until the date; from that day it reads OPEN again by itself.
    Accepting an accepted risk again sets the new date (a new decision); a CLOSED one is INVALID."""
    risk = await editing.load(session, actor, Risk, tenant_id, risk_id, "riskId")
    require_decider(actor)
    until = _until(until, utc_today())
    reason = _reason(reason, required=True)
    meeting_id = await _meeting(session, tenant_id, meeting_id)
    if risk.status == RiskStatus.CLOSED:
        raise Invalid("A CLOSED risk cannot be accepted; reopen it first if it applies again.", ["riskId"])
    before = snapshot(risk)
    risk.status, risk.treatment, risk.accepted_until = RiskStatus.ACCEPTED, RiskTreatment.ACCEPT, until
    decision = _decision(actor, tenant_id, kind=DecisionKind.RISK_ACCEPTED, summary=f"Accepted until {until}: {risk.title}",
                         reason=reason, expires_on=until, risk_id=risk.id, meeting_id=meeting_id)
    return await _decided(session, actor, risk, before, decision, "risk.accept")


async def record_decision(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    summary: str,
    reason: str | None = None,
    meeting_id: uuid.UUID | None = None,
) -> Decision:
    """A NOTE on the register (what was agreed that is neither an initiative nor a risk). CIOs and
    admins only: the client's two writes are the decisions above."""
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    require_decider(actor)
    decision = _decision(actor, tenant_id, kind=DecisionKind.NOTE, summary=v.text(summary, "summary", max_length=500),
                         reason=_reason(reason, required=False), meeting_id=await _meeting(session, tenant_id, meeting_id))
    session.add(decision)
    await session.flush()
    await session.refresh(decision)
    await record(session, actor, tenant_id, "decision.create", "Decision", decision.id, None, snapshot(decision))
    return decision


MAX_TAKEN = 50  # decisions recorded with one meeting


@dataclass(frozen=True)
class Taken:
    """One decision of a meeting (`recordSteeringMeeting`): an initiative decided, a risk accepted or a note."""

    initiative_id: uuid.UUID | None = None
    approve: bool | None = None
    risk_id: uuid.UUID | None = None
    until: dt.date | None = None
    summary: str | None = None
    reason: str | None = None


async def _take(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, meeting_id: uuid.UUID, d: Taken) -> Decision:
    about = [name for name in ("initiative_id", "risk_id", "summary") if getattr(d, name) is not None]
    if len(about) != 1:
        raise Invalid("A decision names one of initiativeId (with approve), riskId (with until and reason) "
                      "or summary (a note).")
    if d.initiative_id is not None:
        v.not_null(d.approve, "approve")
        return await decide_initiative(session, actor, tenant_id, d.initiative_id, approve=d.approve, reason=d.reason,
                                       meeting_id=meeting_id)
    if d.risk_id is not None:
        return await accept_risk(session, actor, tenant_id, d.risk_id, until=v.not_null(d.until, "until"),
                                 reason=d.reason, meeting_id=meeting_id)
    return await record_decision(session, actor, tenant_id, summary=d.summary, reason=d.reason, meeting_id=meeting_id)


async def take_in_meeting(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, meeting_id: uuid.UUID, taken: list[Taken]
) -> list[Decision]:
    """The decisions a meeting took, each a decision as above (its own audit event), in order. The
    first that fails names its place (["decisionsTaken", "2", "until"]) and nothing of the call stays."""
    if len(taken) > MAX_TAKEN:
        raise Limit(f"decisionsTaken takes at most {MAX_TAKEN} entries.", ["decisionsTaken"])
    made = []
    for index, d in enumerate(taken):
        try:
            made.append(await _take(session, actor, tenant_id, meeting_id, d))
        except (Invalid, NotFound) as error:
            raise type(error)(error.message, ["decisionsTaken", str(index), *(error.field or [])]) from None
    return made
