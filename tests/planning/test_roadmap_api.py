"""Initiatives valued in full (one-time and recurring cost, hours saved, revenue at risk) and the
roadmap of a fiscal year by the tenant's fiscal quarters, through GraphQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.planning import actions
from app.planning.models import Initiative, InitiativeStatus
from app.tenants.models import Role
from tests.apitools import Scene, error_codes, user_error_codes

VALUES = "costEstimate recurringCostPerYear hoursSavedPerMonth revenueAtRisk"
CREATE = f"""mutation($input: CreateInitiativeInput!) {{ createInitiative(input: $input) {{
  initiative {{ id version {VALUES} }} userErrors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: UpdateInitiativeInput!) {{ updateInitiative(input: $input) {{
  initiative {{ version {VALUES} }} userErrors {{ field code message }} }} }}"""
ROADMAP = """query($id: ID!, $year: Int!) { tenant(id: $id) { roadmap(fiscalYear: $year) {
  quarter oneTimeCost recurringCostPerYear hoursSavedPerMonth revenueAtRisk initiatives { title targetMonth status } } } }"""


async def test_the_four_values_are_set_kept_when_absent_and_cleared_by_null(api, scene: Scene):
    created = await api.mutate(scene.cio, CREATE, {
        "tenantId": scene.gid(scene.tenant), "title": "Managed EDR", "costEstimate": "8000.00",
        "recurringCostPerYear": "4800.50", "hoursSavedPerMonth": 6.5, "revenueAtRisk": "250000",
    })
    assert created["userErrors"] == []
    assert created["initiative"]["recurringCostPerYear"] == "4800.50"
    gid = created["initiative"]["id"]

    kept = await api.mutate(scene.cio, UPDATE, {"id": gid, "recurringCostPerYear": "5200"})
    assert kept["initiative"] == {"version": 2, "costEstimate": "8000.00", "recurringCostPerYear": "5200",
                                  "hoursSavedPerMonth": 6.5, "revenueAtRisk": "250000.00"}
    cleared = await api.mutate(scene.cio, UPDATE, {
        "id": gid, "costEstimate": None, "recurringCostPerYear": None, "hoursSavedPerMonth": None, "revenueAtRisk": None})
    assert cleared["initiative"] == {"version": 3, "costEstimate": None, "recurringCostPerYear": None,
                                     "hoursSavedPerMonth": None, "revenueAtRisk": None}
    assert (await api.audit_actions(scene.tenant))[-3:] == ["initiative.create", "initiative.update", "initiative.update"]


async def test_a_bad_recurring_cost_is_a_user_error_and_changes_nothing(api, scene: Scene):
    made = await api.act(scene.tenant, actions.create_initiative, title="Backups", recurring_cost_per_year=Decimal("100"))
    gid = scene.object_id("Initiative", made)
    for bad in ("-1", "10.005", "1e12"):
        payload = await api.mutate(scene.cio, UPDATE, {"id": gid, "recurringCostPerYear": bad})
        assert payload["initiative"] is None
        assert user_error_codes(payload) == [("INVALID", ["recurringCostPerYear"])]
        refused = await api.mutate(scene.cio, CREATE, {"tenantId": scene.gid(scene.tenant), "title": "X", "recurringCostPerYear": bad})
        assert user_error_codes(refused) == [("INVALID", ["recurringCostPerYear"])]
    rows = await api.rows([scene.tenant.id], select(Initiative.title, Initiative.recurring_cost_per_year, Initiative.version))
    assert [tuple(r) for r in rows] == [("Backups", Decimal("100.00"), 1)]


async def test_the_roadmap_groups_a_fiscal_year_by_quarter_with_exact_sums(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice, fiscal_year_start_month=7)  # fiscal 2026: 2026-07 .. 2027-06
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant])
    s = InitiativeStatus
    for title, month, status, values in [
        ("MFA", dt.date(2026, 7, 1), s.DONE, {"cost_estimate": Decimal("0.10"), "hours_saved_per_month": 0.1}),
        ("EDR", dt.date(2026, 9, 1), s.DEFERRED, {"cost_estimate": Decimal("0.20"), "hours_saved_per_month": 0.2,
                                                   "recurring_cost_per_year": Decimal("1200.00"), "revenue_at_risk": Decimal("5")}),
        ("Dropped", dt.date(2026, 8, 1), s.CANCELLED, {"cost_estimate": Decimal("999")}),
        ("ERP", dt.date(2027, 6, 1), s.PROPOSED, {"revenue_at_risk": Decimal("1200000.00")}),
        ("Last year", dt.date(2026, 6, 1), s.APPROVED, {"cost_estimate": Decimal("7")}),
        ("Next year", dt.date(2027, 7, 1), s.APPROVED, {"cost_estimate": Decimal("7")}),
        ("Some day", None, s.PROPOSED, {"cost_estimate": Decimal("7")}),
    ]:
        await api.act(tenant, actions.create_initiative, title=title, target_month=month, status=status, **values)

    quarters = (await api.data(executive, ROADMAP, {"id": Scene.gid(tenant), "year": 2026}))["tenant"]["roadmap"]

    assert quarters == [
        {"quarter": "2026-Q1", "oneTimeCost": "0.30", "recurringCostPerYear": "1200.00", "hoursSavedPerMonth": 0.3,
         "revenueAtRisk": "5.00", "initiatives": [
             {"title": "MFA", "targetMonth": "2026-07", "status": "DONE"},
             {"title": "EDR", "targetMonth": "2026-09", "status": "DEFERRED"}]},
        {"quarter": "2026-Q2", "oneTimeCost": "0.00", "recurringCostPerYear": "0.00", "hoursSavedPerMonth": 0.0,
         "revenueAtRisk": "0.00", "initiatives": []},
        {"quarter": "2026-Q3", "oneTimeCost": "0.00", "recurringCostPerYear": "0.00", "hoursSavedPerMonth": 0.0,
         "revenueAtRisk": "0.00", "initiatives": []},
        {"quarter": "2026-Q4", "oneTimeCost": "0.00", "recurringCostPerYear": "0.00", "hoursSavedPerMonth": 0.0,
         "revenueAtRisk": "1200000.00", "initiatives": [{"title": "ERP", "targetMonth": "2027-06", "status": "PROPOSED"}]},
    ]


async def test_a_fiscal_year_out_of_range_is_refused_clearly(api, scene: Scene):
    for year in (1999, 2101, 40000):
        body = await api.run(scene.cio, ROADMAP, {"id": scene.gid(scene.tenant), "year": year})
        assert error_codes(body) == ["INVALID"], body
        assert "fiscalYear" in body["errors"][0]["message"]


async def test_another_tenants_roadmap_never_shows(api, scene: Scene):
    await api.act(scene.other, actions.create_initiative, title="Not yours", target_month=dt.date(2026, 3, 1))
    body = await api.run(scene.cio, ROADMAP, {"id": scene.gid(scene.other), "year": 2026})
    assert body["data"] == {"tenant": None}
