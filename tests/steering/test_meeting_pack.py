"""The steering meeting works from the register: its agenda derived from the data as of its day,
the decisions taken in it, and `recordSteeringMeeting` taking decisions with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.decisions.models import Decision
from app.goals import actions as goals
from app.goals.models import GoalStatus
from app.planning import actions as planning
from app.planning.models import InitiativeStatus
from app.risks import actions as risks
from app.risks.models import RiskCategory, RiskStatus
from app.standards import actions as standards
from app.standards.models import Alignment, Standard
from app.steering import actions as steering
from tests.apitools import Scene, error_codes, user_error_codes

RECORD = """mutation($input: RecordSteeringMeetingInput!) { recordSteeringMeeting(input: $input) {
  steeringMeeting { status decisions decisionsTaken { kind summary reason expiresOn } } userErrors { field code message } } }"""
AGENDA = """query($id: ID!) { node(id: $id) { ... on SteeringMeeting { agenda suggestedAgenda { kind summary subject { __typename
  ... on Risk { title } ... on Initiative { title } ... on BusinessGoal { title } ... on Finding { note } } } } } }"""
TODAY = dt.datetime.now(dt.UTC).date()


async def meeting_on(api, tenant, day: dt.date):
    return await api.act(tenant, steering.schedule_meeting, scheduled_at=dt.datetime(day.year, day.month, day.day, 15, tzinfo=dt.UTC),
                         agenda=["Budget"])


async def test_a_meeting_is_recorded_with_its_decisions_each_on_the_register(api, scene: Scene):
    meeting = await meeting_on(api, scene.tenant, TODAY)
    initiative = await api.act(scene.tenant, planning.create_initiative, title="New firewall")
    risk = await api.act(scene.tenant, risks.create_risk, title="Old switches", category=RiskCategory.OPERATIONAL, likelihood=2, impact=3)
    until = TODAY + dt.timedelta(days=120)

    payload = await api.mutate(scene.cio, RECORD, {"id": scene.object_id("SteeringMeeting", meeting), "status": "HELD",
                                                   "decisions": ["As written"], "decisionsTaken": [
        {"initiativeId": scene.object_id("Initiative", initiative), "approve": True},
        {"riskId": scene.object_id("Risk", risk), "until": until.isoformat(), "reason": "Replaced next year"},
        {"summary": "Quarterly reviews from now on"}]})

    assert payload["userErrors"] == []
    assert payload["steeringMeeting"]["decisions"] == ["As written"]
    assert payload["steeringMeeting"]["decisionsTaken"] == [
        {"kind": "INITIATIVE_APPROVED", "summary": "Approved: New firewall", "reason": None, "expiresOn": None},
        {"kind": "RISK_ACCEPTED", "summary": f"Accepted until {until}: Old switches", "reason": "Replaced next year",
         "expiresOn": until.isoformat()},
        {"kind": "NOTE", "summary": "Quarterly reviews from now on", "reason": None, "expiresOn": None}]
    assert (await api.audit_actions(scene.tenant))[-4:] == ["steering_meeting.update", "initiative.decide", "risk.accept", "decision.create"]


async def test_a_bad_decision_names_its_place_and_nothing_of_the_meeting_is_kept(api, scene: Scene):
    meeting = await meeting_on(api, scene.tenant, TODAY)
    initiative = await api.act(scene.tenant, planning.create_initiative, title="New firewall")
    foreign = await api.act(scene.foreign, planning.create_initiative, title="Not theirs")
    base = {"id": scene.object_id("SteeringMeeting", meeting), "status": "HELD"}
    good = {"initiativeId": scene.object_id("Initiative", initiative), "approve": True}

    answers = [user_error_codes(await api.mutate(scene.cio, RECORD, base | {"decisionsTaken": taken})) for taken in (
        [good, {"initiativeId": scene.object_id("Initiative", initiative), "approve": False}],  # decided by the first
        [good, {"initiativeId": scene.object_id("Initiative", foreign), "approve": True}],
        [{"summary": "Both", "riskId": scene.object_id("Initiative", initiative)}],
        [{"initiativeId": scene.object_id("Initiative", initiative)}],
    )]
    refused = await api.run(scene.executive, RECORD, {"input": base | {"decisionsTaken": [good]}})

    assert answers == [[("INVALID", ["decisionsTaken", "1", "reason"])], [("NOT_FOUND", ["decisionsTaken", "1", "initiativeId"])],
                       [("INVALID", ["decisionsTaken", "0"])], [("INVALID", ["decisionsTaken", "0", "approve"])]]
    assert error_codes(refused) == ["FORBIDDEN"]
    assert await api.rows([scene.tenant.id], select(Decision.id)) == []
    stored = await api.data(scene.cio, AGENDA, {"id": scene.object_id("SteeringMeeting", meeting)})
    assert [i["kind"] for i in stored["node"]["suggestedAgenda"]] == ["PROPOSAL_AWAITING_DECISION"]  # still PROPOSED


async def test_the_agenda_is_derived_from_the_data_as_of_the_meetings_day(api, scene: Scene):
    day = TODAY + dt.timedelta(days=7)
    meeting = await meeting_on(api, scene.tenant, day)
    t = scene.tenant
    year = day.year if day.month >= t.fiscal_year_start_month else day.year - 1
    for title, status, fiscal_year in (("Grow online sales", GoalStatus.AT_RISK, year), ("Cut costs", GoalStatus.OFF_TRACK, year),
                                       ("Fine", GoalStatus.ON_TRACK, year), ("Last year", GoalStatus.AT_RISK, year - 1)):
        await api.act(t, goals.create_goal, title=title, fiscal_year=fiscal_year, status=status)
    await api.act(t, planning.create_initiative, title="Awaiting")
    await api.act(t, planning.create_initiative, title="Due", status=InitiativeStatus.APPROVED, target_month=day)
    await api.act(t, planning.create_initiative, title="Far off", status=InitiativeStatus.APPROVED, target_month=day + dt.timedelta(days=200))
    due = await api.act(t, risks.create_risk, title="Review me", category=RiskCategory.SECURITY, likelihood=3, impact=3, review_due=day)
    await api.act(t, risks.create_risk, title="Later", category=RiskCategory.SECURITY, likelihood=3, impact=3,
                  review_due=day + dt.timedelta(days=1))
    ending = await api.act(t, risks.create_risk, title="Accepted", category=RiskCategory.VENDOR, likelihood=2, impact=2)
    await api.mutate(scene.executive, """mutation($input: AcceptRiskInput!) { acceptRisk(input: $input) { userErrors { code } } }""",
                     {"riskId": scene.object_id("Risk", ending), "until": (day + dt.timedelta(days=60)).isoformat(), "reason": "Cheap"})
    await api.act(t, risks.update_risk, due.id, status=RiskStatus.MITIGATING)
    standard = (await api.rows([], select(Standard.id).where(Standard.practice_id == scene.practice.id).limit(1)))[0].id
    review = await api.act(t, standards.start_review)
    await api.act(t, standards.answer_standards, review.id, [standards.AnswerInput(standard, Alignment.NOT_ALIGNED, "No MFA")])
    await api.act(t, standards.complete_review, review.id)

    items = (await api.data(scene.executive, AGENDA, {"id": scene.object_id("SteeringMeeting", meeting)}))["node"]

    assert items["agenda"] == ["Budget"]
    assert [(i["kind"], i["subject"]["__typename"]) for i in items["suggestedAgenda"]] == [
        ("GOAL_OFF_TRACK", "BusinessGoal"), ("GOAL_AT_RISK", "BusinessGoal"), ("PROPOSAL_AWAITING_DECISION", "Initiative"),
        ("RISK_ACCEPTANCE_ENDING", "Risk"), ("RISK_REVIEW_DUE", "Risk"), ("FINDING_WITHOUT_INITIATIVE", "Finding"),
        ("INITIATIVE_DUE", "Initiative")]
    assert [i["summary"] for i in items["suggestedAgenda"]][:3] == [
        "Goal off track: Cut costs", "Goal at risk: Grow online sales", "Proposal awaiting a decision: Awaiting"]
    assert items["suggestedAgenda"][5]["subject"] == {"__typename": "Finding", "note": "No MFA"}
