"""Business goals through GraphQL: create, list by fiscal year, update (absent / null), delete, the
initiatives that serve a goal, and the tenant line around all of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api import ids
from app.goals import actions
from app.goals.models import BusinessGoal, GoalStatus
from app.planning import actions as planning
from app.planning.models import Initiative
from tests.apitools import Scene, error_codes, user_error_codes

FIELDS = "id version title fiscalYear function kpi baseline target current status initiatives { title }"
CREATE = f"mutation($input: CreateGoalInput!) {{ createGoal(input: $input) {{ goal {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
UPDATE = f"mutation($input: UpdateGoalInput!) {{ updateGoal(input: $input) {{ goal {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
DELETE = "mutation($input: DeleteInput!) { deleteGoal(input: $input) { deletedId userErrors { field code } } }"
GOALS = "query($id: ID!, $year: Int) { tenant(id: $id) { goals(fiscalYear: $year) { title fiscalYear initiatives { title } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on BusinessGoal { title version } } }"
CREATE_INITIATIVE = """mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) {
  initiative { id title goal { title } } userErrors { field code message } } }"""
UPDATE_INITIATIVE = """mutation($input: UpdateInitiativeInput!) { updateInitiative(input: $input) {
  initiative { id title version goal { title } } userErrors { field code message } } }"""


async def goal_rows(api, tenant) -> list:
    return await api.rows([tenant.id], select(BusinessGoal.title, BusinessGoal.version).where(BusinessGoal.tenant_id == tenant.id))


async def goal_of(api, tenant, initiative) -> list:
    return await api.rows([tenant.id], select(Initiative.goal_id).where(Initiative.tenant_id == tenant.id, Initiative.id == initiative.id))


async def test_create_returns_the_goal_with_its_kpi_and_audits_it(api, scene: Scene):
    payload = await api.mutate(scene.cio, CREATE, {
        "tenantId": scene.gid(scene.tenant), "title": "  Close the books faster ", "fiscalYear": 2026,
        "function": "Finance", "kpi": "Working days to close", "baseline": 8, "target": 4, "current": 6.5,
    })

    assert payload["userErrors"] == []
    goal = payload["goal"]
    assert goal | {"id": None} == {
        "id": None, "version": 1, "title": "Close the books faster", "fiscalYear": 2026, "function": "Finance",
        "kpi": "Working days to close", "baseline": 8.0, "target": 4.0, "current": 6.5, "status": "ON_TRACK",
        "initiatives": [],
    }
    assert (await api.data(scene.cio, NODE, {"id": goal["id"]}))["node"] == {"title": "Close the books faster", "version": 1}
    assert (await api.audit_actions(scene.tenant))[-1] == "business_goal.create"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"fiscalYear": 1999}, "fiscalYear"),
        ({"fiscalYear": 2101}, "fiscalYear"),
        ({"kpi": "k" * 201}, "kpi"),
        ({"function": "f" * 201}, "function"),
    ],
)
async def test_invalid_fields_are_user_errors_and_nothing_is_stored(api, scene: Scene, change, field):
    payload = await api.mutate(scene.cio, CREATE, {"tenantId": scene.gid(scene.tenant), "title": "Grow", "fiscalYear": 2026} | change)

    assert payload["goal"] is None
    assert user_error_codes(payload) == [("INVALID", [field])]
    assert await goal_rows(api, scene.tenant) == []


async def test_update_leaves_absent_fields_clears_null_ones_and_refuses_a_stale_version(api, scene: Scene):
    created = await api.act(scene.tenant, actions.create_goal, title="Fewer outages", fiscal_year=2026,
                            function="Operations", kpi="Hours down", baseline=14, target=2, current=9)
    gid = scene.object_id("BusinessGoal", created)

    payload = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "current": 5, "function": None,
                                                   "status": "AT_RISK"})
    assert payload["userErrors"] == []
    assert payload["goal"] | {"id": None} == {
        "id": None, "version": 2, "title": "Fewer outages", "fiscalYear": 2026, "function": None, "kpi": "Hours down",
        "baseline": 14.0, "target": 2.0, "current": 5.0, "status": "AT_RISK", "initiatives": [],
    }

    stale = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "title": "Overwritten"})
    assert user_error_codes(stale) == [("CONFLICT", ["expectedVersion"])]
    for change, field in (({"title": None}, "title"), ({"title": " "}, "title"), ({"fiscalYear": None}, "fiscalYear"),
                          ({"status": None}, "status")):
        invalid = await api.mutate(scene.cio, UPDATE, {"id": gid} | change)
        assert user_error_codes(invalid) == [("INVALID", [field])], change
    assert await goal_rows(api, scene.tenant) == [("Fewer outages", 2)]


async def test_goals_of_a_fiscal_year_newest_year_first_and_only_the_tenants_own(api, scene: Scene):
    for title, year in (("B 2026", 2026), ("A 2026", 2026), ("Old", 2025), ("Next", 2027)):
        await api.act(scene.tenant, actions.create_goal, title=title, fiscal_year=year)
    await api.act(scene.other, actions.create_goal, title="Someone else's", fiscal_year=2026)

    async def titles(year=None):
        data = await api.data(scene.cio, GOALS, {"id": scene.gid(scene.tenant), "year": year})
        return [g["title"] for g in data["tenant"]["goals"]]

    assert await titles() == ["Next", "A 2026", "B 2026", "Old"]
    assert await titles(2026) == ["A 2026", "B 2026"]
    assert await titles(2030) == []
    assert await titles(2_000_000_000) == []  # any Int may be asked for


async def test_initiatives_are_tied_to_the_goal_they_serve_and_listed_under_it(api, scene: Scene):
    goal = await api.act(scene.tenant, actions.create_goal, title="Pass the insurance renewal", fiscal_year=2026)
    other_goal = await api.act(scene.tenant, actions.create_goal, title="Cut costs", fiscal_year=2026)
    goal_id = scene.object_id("BusinessGoal", goal)

    created = await api.mutate(scene.cio, CREATE_INITIATIVE, {
        "tenantId": scene.gid(scene.tenant), "title": "Roll out MFA", "goalId": goal_id})
    assert created["userErrors"] == [] and created["initiative"]["goal"] == {"title": "Pass the insurance renewal"}
    loose = await api.act(scene.tenant, planning.create_initiative, title="Password manager")
    loose_id = scene.object_id("Initiative", loose)

    tied = await api.mutate(scene.cio, UPDATE_INITIATIVE, {"id": loose_id, "goalId": goal_id})
    assert tied["initiative"]["goal"] == {"title": "Pass the insurance renewal"}
    untouched = await api.mutate(scene.cio, UPDATE_INITIATIVE, {"id": loose_id, "title": "Company password manager"})
    assert untouched["initiative"]["goal"] == {"title": "Pass the insurance renewal"}  # absent: left as it is
    data = await api.data(scene.cio, GOALS, {"id": scene.gid(scene.tenant), "year": 2026})
    assert data["tenant"]["goals"] == [
        {"title": "Cut costs", "fiscalYear": 2026, "initiatives": []},
        {"title": "Pass the insurance renewal", "fiscalYear": 2026,
         "initiatives": [{"title": "Roll out MFA"}, {"title": "Company password manager"}]},
    ]

    moved = await api.mutate(scene.cio, UPDATE_INITIATIVE, {"id": loose_id, "goalId": scene.object_id("BusinessGoal", other_goal)})
    assert moved["initiative"]["goal"] == {"title": "Cut costs"}
    unlinked = await api.mutate(scene.cio, UPDATE_INITIATIVE, {"id": loose_id, "goalId": None})
    assert unlinked["userErrors"] == [] and unlinked["initiative"]["goal"] is None


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_a_goal_of_another_tenant_cannot_be_served_or_reached(api, scene: Scene, which):
    tenant = getattr(scene, which)
    theirs = await api.act(tenant, actions.create_goal, title="Theirs", fiscal_year=2026)
    gid = scene.object_id("BusinessGoal", theirs)
    mine = await api.act(scene.tenant, planning.create_initiative, title="Mine")

    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert (await api.data(scene.cio, GOALS, {"id": scene.gid(tenant)}))["tenant"] is None
    for query, input, field in [
        (CREATE_INITIATIVE, {"tenantId": scene.gid(scene.tenant), "title": "Planted", "goalId": gid}, "goalId"),
        (UPDATE_INITIATIVE, {"id": scene.object_id("Initiative", mine), "goalId": gid}, "goalId"),
        (CREATE, {"tenantId": scene.gid(tenant), "title": "Planted", "fiscalYear": 2026}, "tenantId"),
        (UPDATE, {"id": gid, "title": "Mine now"}, "id"),
        (DELETE, {"id": gid}, "id"),
    ]:
        payload = await api.mutate(scene.cio, query, input)
        assert user_error_codes(payload) == [("NOT_FOUND", [field])], query
    assert await goal_rows(api, tenant) == [("Theirs", 1)]
    assert await goal_of(api, scene.tenant, mine) == [(None,)]
    assert [r.title for r in await api.rows([scene.tenant.id], select(Initiative.title).where(
        Initiative.tenant_id == scene.tenant.id))] == ["Mine"]


async def test_an_initiative_cannot_name_its_own_tenants_goal_id_under_another_tenant(api, scene: Scene):
    """A goal id forged with the initiative's tenant and another tenant's goal uuid is one that does not exist."""
    theirs = await api.act(scene.other, actions.create_goal, title="Theirs", fiscal_year=2026)
    forged = ids.encode("BusinessGoal", theirs.id, scene.tenant.id)
    payload = await api.mutate(scene.cio, CREATE_INITIATIVE, {
        "tenantId": scene.gid(scene.tenant), "title": "Planted", "goalId": forged})
    assert user_error_codes(payload) == [("NOT_FOUND", ["goalId"])]


async def test_deleting_a_goal_unlinks_its_initiatives(api, scene: Scene):
    goal = await api.act(scene.tenant, actions.create_goal, title="Faster onboarding", fiscal_year=2026)
    initiative = await api.act(scene.tenant, planning.create_initiative, title="Automate onboarding", goal_id=goal.id)
    gid = scene.object_id("BusinessGoal", goal)

    payload = await api.mutate(scene.cio, DELETE, {"id": gid})

    assert payload == {"deletedId": gid, "userErrors": []}
    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert await goal_rows(api, scene.tenant) == []
    assert await goal_of(api, scene.tenant, initiative) == [(None,)]
    assert (await api.audit_actions(scene.tenant))[-1] == "business_goal.delete"


async def test_a_client_executive_reads_goals_but_cannot_write_them_or_tie_initiatives(api, scene: Scene):
    goal = await api.act(scene.tenant, actions.create_goal, title="Grow sales", fiscal_year=2026, status=GoalStatus.AT_RISK)
    initiative = await api.act(scene.tenant, planning.create_initiative, title="CRM")
    gid = scene.object_id("BusinessGoal", goal)

    data = await api.data(scene.executive, GOALS, {"id": scene.gid(scene.tenant)})
    assert data["tenant"]["goals"] == [{"title": "Grow sales", "fiscalYear": 2026, "initiatives": []}]
    for query, input in [
        (CREATE, {"tenantId": scene.gid(scene.tenant), "title": "Sneaky", "fiscalYear": 2026}),
        (UPDATE, {"id": gid, "title": "Sneaky"}),
        (DELETE, {"id": gid}),
        (CREATE_INITIATIVE, {"tenantId": scene.gid(scene.tenant), "title": "Sneaky", "goalId": gid}),
        (UPDATE_INITIATIVE, {"id": scene.object_id("Initiative", initiative), "goalId": gid}),
    ]:
        body = await api.run(scene.executive, query, {"input": input})
        assert error_codes(body) == ["FORBIDDEN"], query
    assert await goal_rows(api, scene.tenant) == [("Grow sales", 1)]
    assert await goal_of(api, scene.tenant, initiative) == [(None,)]
