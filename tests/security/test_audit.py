"""The audit trail: one event per mutation with actor, tenant, before and after; append-only for the app."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.api import ids
from app.db.scope import tenant_session
from app.tenants.models import Role
from tests.conftest import World
from tests.security.cast import Gql

# (mutation, input builder over the ids made so far, selection, where the new id is, kind of change)
STEPS = [
    ("createRisk", lambda t, k: {"tenantId": t, "title": "Backups untested", "category": "CONTINUITY", "likelihood": 3, "impact": 4},
     "risk { id }", ("risk", "Risk"), "create"),
    ("updateRisk", lambda t, k: {"id": k["Risk"], "likelihood": 5}, "risk { id }", None, "update"),
    ("createGoal", lambda t, k: {"tenantId": t, "title": "Halve onboarding time", "fiscalYear": 2026, "kpi": "Days"},
     "goal { id }", ("goal", "BusinessGoal"), "create"),
    ("updateGoal", lambda t, k: {"id": k["BusinessGoal"], "current": 4.5}, "goal { id }", None, "update"),
    ("setStrategyProfile", lambda t, k: {"tenantId": t, "itMaturity": 2, "preferredPlatforms": ["Microsoft 365"]},
     "strategy { itMaturity }", None, "create"),
    ("setStrategyProfile", lambda t, k: {"tenantId": t, "itMaturity": None, "buildVsBuy": "BUY"},
     "strategy { itMaturity }", None, "update"),
    ("createInitiative", lambda t, k: {"tenantId": t, "title": "Move to M365", "goalId": k["BusinessGoal"]},
     "initiative { id }", ("initiative", "Initiative"), "create"),
    ("updateInitiative", lambda t, k: {"id": k["Initiative"], "costEstimate": "9000",
                                       "recurringCostPerYear": "2400.00", "hoursSavedPerMonth": 6, "revenueAtRisk": "50000"},
     "initiative { id }", None, "update"),
    ("updateInitiative", lambda t, k: {"id": k["Initiative"], "recurringCostPerYear": None}, "initiative { id }", None, "update"),
    ("decideInitiative", lambda t, k: {"initiativeId": k["Initiative"], "approve": True}, "decision { id }", None, "update"),
    ("updateInitiative", lambda t, k: {"id": k["Initiative"], "status": "IN_PROGRESS"}, "initiative { id }", None, "update"),
    ("acceptRisk", lambda t, k: {"riskId": k["Risk"], "until": SOON, "reason": "Insured"}, "decision { id }", None, "update"),
    ("recordDecision", lambda t, k: {"tenantId": t, "summary": "Freeze hiring"}, "decision { id }", None, "create"),
    ("createVendor", lambda t, k: {"tenantId": t, "name": "Contoso", "relationship": "PARTNER"}, "vendor { id }", ("vendor", "Vendor"), "create"),
    ("updateVendor", lambda t, k: {"id": k["Vendor"], "annualCost": "900.00"}, "vendor { id }", None, "update"),
    ("setBudgetLine", lambda t, k: {"tenantId": t, "fiscalYear": 2026, "name": "Licences", "kind": "OPEX", "category": "Software",
                                    "planned": "1000.00", "vendorId": k["Vendor"]}, "budgetLine { id }", ("budgetLine", "BudgetLine"), "create"),
    ("recordSpend", lambda t, k: {"budgetLineId": k["BudgetLine"], "month": "2026-03", "amount": "80.00"}, "budgetLine { id }", None, "create"),
    ("updateBudgetLine", lambda t, k: {"id": k["BudgetLine"], "planned": "1200.00"}, "budgetLine { id }", None, "update"),
    ("recordTicketMetrics", lambda t, k: {"tenantId": t, "month": "2026-03", "support": 4, "change": 1, "alert": 0},
     "ticketMonth { total }", None, "any"),
    ("ingestTickets", lambda t, k: {"tenantId": t, "source": "script", "tickets": [
        {"externalId": "A-1", "category": "SUPPORT", "openedAt": "2026-03-02T09:00:00Z"}]}, "accepted", None, "any"),
    ("setPolicy", lambda t, k: {"tenantId": t, "kind": "REMOTE_ACCESS", "status": "DRAFT"}, "policy { kind }", None, "create"),
    ("deletePolicy", lambda t, k: {"tenantId": t, "kind": "REMOTE_ACCESS"}, "policy { kind }", None, "delete"),
    ("scheduleSteeringMeeting", lambda t, k: {"tenantId": t, "scheduledAt": "2026-03-10T10:00:00+00:00"},
     "steeringMeeting { id }", ("steeringMeeting", "SteeringMeeting"), "create"),
    ("recordSteeringMeeting", lambda t, k: {"id": k["SteeringMeeting"], "status": "HELD", "decisions": ["Go"]},
     "steeringMeeting { id }", None, "update"),
    ("createActionItem", lambda t, k: {"meetingId": k["SteeringMeeting"], "title": "Order laptops"}, "actionItem { id }",
     ("actionItem", "ActionItem"), "create"),
    ("updateActionItem", lambda t, k: {"id": k["ActionItem"], "status": "DONE"}, "actionItem { id }", None, "update"),
    ("deleteActionItem", lambda t, k: {"id": k["ActionItem"]}, "deletedId", None, "delete"),
    ("deleteSteeringMeeting", lambda t, k: {"id": k["SteeringMeeting"]}, "deletedId", None, "delete"),
    ("deleteBudgetLine", lambda t, k: {"id": k["BudgetLine"]}, "deletedId", None, "delete"),
    ("deleteVendor", lambda t, k: {"id": k["Vendor"]}, "deletedId", None, "delete"),
    ("deleteGoal", lambda t, k: {"id": k["BusinessGoal"]}, "deletedId", None, "delete"),
    ("deleteInitiative", lambda t, k: {"id": k["Initiative"]}, "deletedId", None, "delete"),
    ("deleteRisk", lambda t, k: {"id": k["Risk"]}, "deletedId", None, "delete"),
    ("createAsset", lambda t, k: {"tenantId": t, "name": "Core switch", "kind": "NETWORK", "purchasedOn": "2020-01-01"},
     "asset { id }", ("asset", "Asset"), "create"),
    ("updateAsset", lambda t, k: {"id": k["Asset"], "retiredOn": "2026-02-01"}, "asset { id }", None, "update"),
    ("ingestAssets", lambda t, k: {"tenantId": t, "source": "rmm", "assets": [
        {"externalId": "dev-1", "name": "Laptop", "kind": "LAPTOP"}]}, "accepted", None, "any"),
    ("deleteAsset", lambda t, k: {"id": k["Asset"]}, "deletedId", None, "delete"),
    ("updateTenant", lambda t, k: {"id": t, "employeeCount": 55}, "tenant { id }", None, "update"),
    ("createIntegration", lambda t, k: {"tenantId": t, "vendor": "AUTOTASK"}, "integration { id }",
     ("integration", "Integration"), "create"),
    ("updateIntegration", lambda t, k: {"id": k["Integration"], "name": "Autotask EU"}, "integration { id }", None, "update"),
    ("disableIntegration", lambda t, k: {"id": k["Integration"]}, "integration { id }", None, "update"),
    ("startReview", lambda t, k: {"tenantId": t}, "review { id }", ("review", "Review"), "create"),
    ("answerStandards", lambda t, k: {"reviewId": k["Review"], "answers": [
        {"standardId": k["Standard"], "alignment": "NOT_ALIGNED", "note": "No MFA"}]}, "review { id }", None, "update"),
    ("completeReview", lambda t, k: {"id": k["Review"]}, "review { id }", None, "update"),
]
SOON = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
INPUT_TYPES = {"deleteActionItem": "DeleteInput", "deleteSteeringMeeting": "DeleteInput", "deleteBudgetLine": "DeleteInput",
               "deleteVendor": "DeleteInput", "deleteInitiative": "DeleteInput", "deleteGoal": "DeleteInput", "deleteRisk": "DeleteInput",
               "disableIntegration": "IdInput", "deleteAsset": "DeleteInput", "completeReview": "IdInput"}


async def events(owner_engine, tenant_id) -> list:
    async with owner_engine.connect() as conn:
        return list(await conn.execute(
            text("select actor_type, actor_id, tenant_id, action, before, after from audit_events where tenant_id = :t order by id"),
            {"t": tenant_id},
        ))


async def run(gql: Gql, token: str, name: str, input: dict, selection: str) -> dict:
    input_type = INPUT_TYPES.get(name, name[0].upper() + name[1:] + "Input")
    data = await gql.data(f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} userErrors {{ code }} }} }}",
                          {"i": input}, token)
    return data[name]


async def test_every_mutation_leaves_exactly_one_audit_event_with_actor_tenant_before_and_after(gql, sessionmaker, owner_engine):
    world = World(sessionmaker)
    practice = await world.practice()
    tenant = await world.tenant(practice)
    cio = await world.user(practice, Role.CIO, [tenant])
    token = await gql.login(cio.email)
    gid, made, wrong = ids.encode("Tenant", tenant.id), {}, []
    made["Standard"] = (await gql.data("{ standards(first: 1) { nodes { id } } }", token=token))["standards"]["nodes"][0]["id"]

    for name, build, selection, created, kind in STEPS:
        before = len(await events(owner_engine, tenant.id))
        payload = await run(gql, token, name, build(gid, made), selection)
        assert payload["userErrors"] == [], (name, payload)
        if created:
            made[created[1]] = payload[created[0]]["id"]
        new = (await events(owner_engine, tenant.id))[before:]
        shape_ok = len(new) == 1 and new[0].actor_type == "user" and new[0].actor_id == cio.id and new[0].tenant_id == tenant.id
        if shape_ok and kind != "any":
            shape_ok = (new[0].before is None, new[0].after is None) == {
                "create": (True, False), "update": (False, False), "delete": (False, True)}[kind]
        if not shape_ok:
            wrong.append((name, [tuple(e) for e in new]))
    refused = await run(gql, token, "updateRisk", {"id": ids.encode("Risk", tenant.id, tenant.id), "title": "x"}, "risk { id }")
    after_refusal = len(await events(owner_engine, tenant.id))

    assert wrong == []
    assert refused["userErrors"] and after_refusal == len(await events(owner_engine, tenant.id))


@pytest.mark.parametrize("statement", [
    "update audit_events set action = 'nothing.happened' where tenant_id = :t",
    "delete from audit_events where tenant_id = :t",
    "truncate audit_events",
])
async def test_the_runtime_role_cannot_change_or_delete_audit_events(sessionmaker, owner_engine, world, statement):
    practice = await world.practice()
    tenant = await world.tenant(practice)  # creating it wrote "tenant.create"
    trail = await events(owner_engine, tenant.id)

    with pytest.raises(DBAPIError, match="permission denied"):
        async with tenant_session(sessionmaker, [tenant.id]) as session:
            await session.execute(text(statement), {"t": tenant.id})

    assert trail and await events(owner_engine, tenant.id) == trail
