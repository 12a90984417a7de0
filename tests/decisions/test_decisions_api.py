"""The client's decisions through GraphQL: an executive approves, declines and accepts for their own
tenant, a CIO records the same on the client's word; the register; an expired acceptance reads OPEN."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from app.db.scope import tenant_session
from app.decisions.actions import latest_acceptance_end
from app.decisions.models import Decision
from app.planning import actions as planning
from app.planning.models import Initiative, InitiativeStatus
from app.risks import actions as risks
from app.risks.models import Risk, RiskCategory, RiskStatus
from app.steering import actions as steering
from tests.apitools import Scene, error_codes, user_error_codes

DECISION = ("id kind summary reason decidedBy { name role } decidedAt expiresOn initiative { title status } "
            "risk { title status acceptedUntil treatment } meeting { id }")
DECIDE = f"mutation($input: DecideInitiativeInput!) {{ decideInitiative(input: $input) {{ decision {{ {DECISION} }} userErrors {{ field code message }} }} }}"
ACCEPT = f"mutation($input: AcceptRiskInput!) {{ acceptRisk(input: $input) {{ decision {{ {DECISION} }} userErrors {{ field code message }} }} }}"
NOTE = f"mutation($input: RecordDecisionInput!) {{ recordDecision(input: $input) {{ decision {{ {DECISION} }} userErrors {{ field code message }} }} }}"
REGISTER = """query($id: ID!) { tenant(id: $id) { decisions { totalCount nodes { kind summary reason expiresOn } }
  initiatives { nodes { title status decision { kind reason } } } risks { nodes { title status acceptedUntil decision { kind } } } } }"""
TODAY = dt.datetime.now(dt.UTC).date()


async def proposal(api, tenant, title="Move to M365"):
    return await api.act(tenant, planning.create_initiative, title=title)


async def risk(api, tenant, title="No offsite backup"):
    return await api.act(tenant, risks.create_risk, title=title, category=RiskCategory.CONTINUITY, likelihood=4, impact=4)


async def stored(api, tenant, model):
    return await api.rows([tenant.id], select(model).where(model.tenant_id == tenant.id))


async def test_an_executive_approves_a_proposal_for_their_tenant_and_it_is_on_the_register(api, scene: Scene):
    initiative = await proposal(api, scene.tenant)

    payload = await api.mutate(scene.executive, DECIDE, {"initiativeId": scene.object_id("Initiative", initiative), "approve": True})
    register = await api.data(scene.cio, REGISTER, {"id": scene.gid(scene.tenant)})

    assert payload["userErrors"] == []
    decision = payload["decision"]
    assert decision["kind"] == "INITIATIVE_APPROVED" and decision["summary"] == "Approved: Move to M365"
    assert decision["decidedBy"] == {"name": scene.executive.name, "role": "CLIENT_EXECUTIVE"}
    assert decision["initiative"] == {"title": "Move to M365", "status": "APPROVED"} and decision["reason"] is None
    assert register["tenant"]["initiatives"]["nodes"][0]["decision"] == {"kind": "INITIATIVE_APPROVED", "reason": None}
    assert register["tenant"]["decisions"]["totalCount"] == 1
    assert (await api.audit_actions(scene.tenant))[-1] == "initiative.decide"


async def test_a_decline_defers_the_proposal_and_keeps_the_reason_which_it_needs(api, scene: Scene):
    initiative = await proposal(api, scene.tenant)
    input = {"initiativeId": scene.object_id("Initiative", initiative), "approve": False}

    without = await api.mutate(scene.executive, DECIDE, input)
    unchanged = await stored(api, scene.tenant, Initiative)
    declined = await api.mutate(scene.executive, DECIDE, input | {"reason": "  Not this fiscal year "})

    assert user_error_codes(without) == [("INVALID", ["reason"])]
    assert unchanged[0].Initiative.status == InitiativeStatus.PROPOSED
    assert declined["decision"]["kind"] == "INITIATIVE_DECLINED" and declined["decision"]["reason"] == "Not this fiscal year"
    assert declined["decision"]["initiative"]["status"] == "DEFERRED"
    assert len(await stored(api, scene.tenant, Decision)) == 1


async def test_only_a_proposal_can_be_decided_and_the_message_says_why(api, scene: Scene):
    initiative = await proposal(api, scene.tenant)
    input = {"initiativeId": scene.object_id("Initiative", initiative), "approve": True}
    await api.mutate(scene.executive, DECIDE, input)

    again = await api.mutate(scene.executive, DECIDE, input)

    assert user_error_codes(again) == [("INVALID", ["initiativeId"])]
    assert "PROPOSED" in again["userErrors"][0]["message"] and "APPROVED" in again["userErrors"][0]["message"]
    assert len(await stored(api, scene.tenant, Decision)) == 1


async def test_an_executive_accepts_a_risk_until_a_date_with_a_reason(api, scene: Scene):
    row = await risk(api, scene.tenant)
    until = TODAY + dt.timedelta(days=90)

    payload = await api.mutate(scene.executive, ACCEPT, {
        "riskId": scene.object_id("Risk", row), "until": until.isoformat(), "reason": "Insured against it"})

    assert payload["userErrors"] == []
    assert payload["decision"]["kind"] == "RISK_ACCEPTED" and payload["decision"]["expiresOn"] == until.isoformat()
    assert payload["decision"]["risk"] == {"title": "No offsite backup", "status": "ACCEPTED",
                                           "acceptedUntil": until.isoformat(), "treatment": "ACCEPT"}
    assert (await api.audit_actions(scene.tenant))[-1] == "risk.accept"


@pytest.mark.parametrize(("until", "reason", "field"), [
    (TODAY, "Insured", "until"),
    (TODAY - dt.timedelta(days=1), "Insured", "until"),
    (latest_acceptance_end(TODAY) + dt.timedelta(days=1), "Insured", "until"),
    (TODAY + dt.timedelta(days=10), "   ", "reason"),
])
async def test_an_acceptance_needs_a_date_within_twelve_months_and_a_reason(api, scene: Scene, until, reason, field):
    row = await risk(api, scene.tenant)

    payload = await api.mutate(scene.executive, ACCEPT, {"riskId": scene.object_id("Risk", row), "until": until.isoformat(), "reason": reason})

    assert user_error_codes(payload) == [("INVALID", [field])]
    assert (await stored(api, scene.tenant, Risk))[0].Risk.status == RiskStatus.OPEN
    assert await stored(api, scene.tenant, Decision) == []


async def test_twelve_calendar_months_ahead_is_the_latest_date(api, scene: Scene):
    row = await risk(api, scene.tenant)
    latest = latest_acceptance_end(TODAY)

    payload = await api.mutate(scene.cio, ACCEPT, {"riskId": scene.object_id("Risk", row), "until": latest.isoformat(), "reason": "Agreed"})

    assert payload["userErrors"] == [] and payload["decision"]["expiresOn"] == latest.isoformat()
    assert (latest.year, latest.month) == (TODAY.year + 1, TODAY.month)


async def test_a_closed_risk_cannot_be_accepted(api, scene: Scene):
    row = await risk(api, scene.tenant)
    await api.act(scene.tenant, risks.update_risk, row.id, status=RiskStatus.CLOSED)

    payload = await api.mutate(scene.executive, ACCEPT, {
        "riskId": scene.object_id("Risk", row), "until": (TODAY + dt.timedelta(days=5)).isoformat(), "reason": "Fine"})

    assert user_error_codes(payload) == [("INVALID", ["riskId"])]
    assert "CLOSED" in payload["userErrors"][0]["message"]


async def test_an_expired_acceptance_reads_open_again_by_itself(api, scene: Scene):
    row = await risk(api, scene.tenant)
    await api.mutate(scene.executive, ACCEPT, {
        "riskId": scene.object_id("Risk", row), "until": (TODAY + dt.timedelta(days=30)).isoformat(), "reason": "Insured"})
    # Time passes: the acceptance ended yesterday (no job touches the row; the date is all there is).
    async with tenant_session(api.services.sessionmaker, [scene.tenant.id]) as session:
        await session.execute(update(Risk).where(Risk.tenant_id == scene.tenant.id).values(accepted_until=TODAY - dt.timedelta(days=1)))
    query = """query($id: ID!) { tenant(id: $id) { all: risks { nodes { status acceptedUntil decision { kind } } }
      open: risks(status: [OPEN]) { totalCount } accepted: risks(status: [ACCEPTED]) { totalCount } } }"""

    tenant = (await api.data(scene.executive, query, {"id": scene.gid(scene.tenant)}))["tenant"]

    assert tenant["all"]["nodes"] == [{"status": "OPEN", "acceptedUntil": (TODAY - dt.timedelta(days=1)).isoformat(),
                                       "decision": {"kind": "RISK_ACCEPTED"}}]
    assert (tenant["open"]["totalCount"], tenant["accepted"]["totalCount"]) == (1, 0)
    assert (await stored(api, scene.tenant, Risk))[0].Risk.status == RiskStatus.ACCEPTED  # the row as it was


async def test_a_cio_records_the_clients_word_and_notes_only_staff_may_add(api, scene: Scene):
    initiative = await proposal(api, scene.tenant)

    decided = await api.mutate(scene.cio, DECIDE, {"initiativeId": scene.object_id("Initiative", initiative), "approve": True,
                                                   "reason": "Agreed by the CFO on the phone"})
    note = await api.mutate(scene.cio, NOTE, {"tenantId": scene.gid(scene.tenant), "summary": "Budget freeze until March"})
    refused = await api.run(scene.executive, NOTE, {"input": {"tenantId": scene.gid(scene.tenant), "summary": "Planted"}})
    register = await api.data(scene.executive, REGISTER, {"id": scene.gid(scene.tenant)})

    assert decided["decision"]["decidedBy"]["role"] == "CIO"
    assert note["decision"]["kind"] == "NOTE" and note["userErrors"] == []
    assert error_codes(refused) == ["FORBIDDEN"]
    assert [d["kind"] for d in register["tenant"]["decisions"]["nodes"]] == ["NOTE", "INITIATIVE_APPROVED"]  # newest first


async def test_a_decision_about_another_tenants_object_is_not_found(api, scene: Scene):
    """Another tenant of the practice, another practice: the same answer as an object that does not exist."""
    mine = await api.act(scene.tenant, steering.schedule_meeting, scheduled_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    own_initiative, own_risk = await proposal(api, scene.tenant), await risk(api, scene.tenant)
    until = (TODAY + dt.timedelta(days=9)).isoformat()
    answers = []
    for tenant in (scene.other, scene.foreign):
        initiative, row = await proposal(api, tenant), await risk(api, tenant)
        meeting = await api.act(tenant, steering.schedule_meeting, scheduled_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
        for user in (scene.executive, scene.cio):
            answers += [
                user_error_codes(await api.mutate(user, DECIDE, {"initiativeId": scene.object_id("Initiative", initiative), "approve": True})),
                user_error_codes(await api.mutate(user, ACCEPT, {"riskId": scene.object_id("Risk", row), "until": until, "reason": "x"})),
                user_error_codes(await api.mutate(user, DECIDE, {"initiativeId": scene.object_id("Initiative", own_initiative),
                                                                 "approve": True, "meetingId": scene.object_id("SteeringMeeting", meeting)})),
                user_error_codes(await api.mutate(user, NOTE, {"tenantId": scene.gid(tenant), "summary": "Planted"})),
            ]
    own_meeting = {"meetingId": scene.object_id("SteeringMeeting", mine)}
    taken = await api.mutate(scene.executive, ACCEPT, {"riskId": scene.object_id("Risk", own_risk), "until": until, "reason": "x"} | own_meeting)

    assert answers == [[("NOT_FOUND", ["initiativeId"])], [("NOT_FOUND", ["riskId"])], [("NOT_FOUND", ["meetingId"])],
                       [("NOT_FOUND", ["tenantId"])]] * 4
    for tenant in (scene.tenant, scene.other, scene.foreign):
        assert [d.Decision.risk_id for d in await stored(api, tenant, Decision)] == ([own_risk.id] if tenant is scene.tenant else [])
    assert taken["decision"]["meeting"] == {"id": own_meeting["meetingId"]}
