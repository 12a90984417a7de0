"""Update inputs: a field left out is kept, `null` clears an optional field, and a required field
sent blank or null is INVALID with nothing changed (STYLE.md 12), in every update mutation.

The table `CASES` names, for each update mutation, how its object is made, its optional fields
(set, then cleared one at a time) and its required ones. Objects are made through the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from app.api import ids
from app.budgets.models import BudgetLine
from app.integrations.models import Integration
from app.planning.models import Initiative
from app.risks.models import Risk
from app.steering.models import ActionItem, SteeringMeeting
from app.tenants.models import Role, Tenant
from app.vendors.models import Vendor
from tests import apitools
from tests.apitools import Scene, error_codes, user_error_codes

api, scene = apitools.api, apitools.scene  # the area tests' fixtures

ERRORS = "userErrors { field code message }"


def mutation(name: str, input_type: str, payload: str, fields: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {payload} {{ {fields} }} {ERRORS} }} }}"


def node_query(type_name: str, fields: str) -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {fields} }} }} }}"


@dataclass
class Opt:
    """An optional field: the value sent, what the answer shows for it, and what it shows once cleared."""

    field: str
    value: Any
    shown: str | None = None  # the answer's field, when it is not `field` (vendorId -> vendor)
    expected: Any = None  # the answer's value when set, when it is not `value`
    cleared: Any = None

    @property
    def key(self) -> str:
        return self.shown or self.field

    def answer(self) -> Any:
        return self.value if self.expected is None else self.expected


@dataclass
class Case:
    mutation: str
    input_type: str
    payload: str
    type_name: str
    fields: str
    model: type
    make: Callable[[Any, Any, Any], Awaitable[tuple[str, list[Opt]]]]  # (api, user, tenant) -> (id, optional fields)
    required: dict[str, list[Any]]  # field -> bad values, each INVALID on that field
    change: dict[str, Any] = field(default_factory=dict)  # a valid change, for the refusals

    @property
    def update(self) -> str:
        return mutation(self.mutation, self.input_type, self.payload, self.fields)

    @property
    def read(self) -> str:
        return node_query(self.type_name, self.fields)

    def __str__(self) -> str:
        return self.mutation


async def created(api, user, name: str, input_type: str, payload: str, input: dict) -> str:
    answer = await api.mutate(user, mutation(name, input_type, payload, "id"), input)
    assert answer["userErrors"] == [], answer
    return answer[payload]["id"]


def gid(tenant) -> str:
    return Scene.gid(tenant)


async def make_risk(api, user, tenant):
    risk = await created(api, user, "createRisk", "CreateRiskInput", "risk", {
        "tenantId": gid(tenant), "title": "Backups untested", "category": "CONTINUITY", "likelihood": 3, "impact": 4,
    })
    return risk, [
        Opt("owner", "Dana Ruiz"), Opt("mitigation", "Test a restore every month"),
        Opt("reviewDue", "2027-01-31"), Opt("treatment", "MITIGATE"),
    ]


async def make_initiative(api, user, tenant):
    initiative = await created(api, user, "createInitiative", "CreateInitiativeInput", "initiative", {
        "tenantId": gid(tenant), "title": "Replace the firewall",
    })
    return initiative, [
        Opt("targetMonth", "2027-03"), Opt("costEstimate", "1200.00"), Opt("hoursSavedPerMonth", 4.5),
        Opt("revenueAtRisk", "5000.00"), Opt("description", "Both sites"),
    ]


async def make_vendor(api, user, tenant):
    vendor = await created(api, user, "createVendor", "CreateVendorInput", "vendor", {
        "tenantId": gid(tenant), "name": "Dell", "relationship": "COMMODITY",
    })
    return vendor, [Opt("annualCost", "999.99"), Opt("contractEnd", "2027-06-30")]


async def make_tenant(api, user, tenant):
    return gid(tenant), [Opt("industry", "Dental clinics")]


async def make_budget_line(api, user, tenant):
    line = await created(api, user, "setBudgetLine", "SetBudgetLineInput", "budgetLine", {
        "tenantId": gid(tenant), "fiscalYear": 2026, "name": "Laptops", "kind": "CAPEX", "category": "Hardware",
        "planned": "1000.00",
    })
    vendor_id, _ = await make_vendor(api, user, tenant)
    initiative_id, _ = await make_initiative(api, user, tenant)
    return line, [
        Opt("vendorId", vendor_id, shown="vendor", expected={"id": vendor_id}),
        Opt("initiativeId", initiative_id, shown="initiative", expected={"id": initiative_id}),
    ]


async def make_meeting(api, user, tenant):
    meeting = await created(api, user, "scheduleSteeringMeeting", "ScheduleSteeringMeetingInput", "steeringMeeting", {
        "tenantId": gid(tenant), "scheduledAt": "2026-01-15T15:00:00+00:00",
    })
    return meeting, [
        Opt("agenda", ["Budget"], cleared=[]), Opt("attendees", ["Dana Ruiz (Finance)"], cleared=[]),
        Opt("decisions", ["Approve the firewall"], cleared=[]),
    ]


async def make_action_item(api, user, tenant):
    meeting, _ = await make_meeting(api, user, tenant)
    item = await created(api, user, "createActionItem", "CreateActionItemInput", "actionItem", {
        "meetingId": meeting, "title": "Send the quote",
    })
    return item, [Opt("owner", "Dana Ruiz"), Opt("dueOn", "2026-02-01")]


BLANK = ["", "   ", None]  # a required text: empty, whitespace, or null

CASES = [
    Case("updateRisk", "UpdateRiskInput", "risk", "Risk",
         "id version title status likelihood impact owner mitigation reviewDue treatment", Risk, make_risk,
         {"title": BLANK, "status": [None], "likelihood": [None], "impact": [None]}, {"title": "Backups tested"}),
    Case("updateInitiative", "UpdateInitiativeInput", "initiative", "Initiative",
         "id version title status priority targetMonth costEstimate hoursSavedPerMonth revenueAtRisk description",
         Initiative, make_initiative, {"title": BLANK, "status": [None], "priority": [None]}, {"priority": 1}),
    Case("updateVendor", "UpdateVendorInput", "vendor", "Vendor", "id version name relationship annualCost contractEnd",
         Vendor, make_vendor, {"name": BLANK, "relationship": BLANK}, {"name": "HP"}),
    Case("updateTenant", "UpdateTenantInput", "tenant", "Tenant", "id version name employeeCount industry",
         Tenant, make_tenant, {"name": BLANK, "employeeCount": [None]}, {"employeeCount": 41}),
    Case("updateBudgetLine", "UpdateBudgetLineInput", "budgetLine", "BudgetLine",
         "id version name kind category planned vendor { id } initiative { id }", BudgetLine, make_budget_line,
         {"name": BLANK, "category": BLANK, "kind": [None], "planned": [None]}, {"planned": "2000.00"}),
    Case("updateSteeringMeeting", "UpdateSteeringMeetingInput", "steeringMeeting", "SteeringMeeting",
         "id version scheduledAt agenda attendees decisions", SteeringMeeting, make_meeting,
         {"scheduledAt": [None]}, {"agenda": ["Risks"]}),
    Case("updateActionItem", "UpdateActionItemInput", "actionItem", "ActionItem", "id version title owner dueOn status",
         ActionItem, make_action_item, {"title": BLANK, "status": [None]}, {"status": "DONE"}),
]
BY_CASE = pytest.mark.parametrize("case", CASES, ids=str)


async def version_of(api, case: Case, object_id: str) -> int:
    """The stored version (a tenant's own id has no tenant part: it is its tenant)."""
    key = ids.decode(object_id)
    tenant_id = key.tenant_id or key.id
    [(version,)] = await api.rows([tenant_id], select(case.model.version).where(case.model.id == key.id))
    return version


@BY_CASE
async def test_null_clears_each_optional_field_and_absent_fields_are_kept(api, scene: Scene, case: Case):
    object_id, optional = await case.make(api, scene.cio, scene.tenant)
    everything = await api.mutate(scene.cio, case.update, {"id": object_id} | {o.field: o.value for o in optional})
    assert everything["userErrors"] == []
    before = everything[case.payload]
    assert {o.key: before[o.key] for o in optional} == {o.key: o.answer() for o in optional}

    for cleared in optional:
        answer = await api.mutate(scene.cio, case.update, {"id": object_id, cleared.field: None})
        assert answer["userErrors"] == [], (cleared.field, answer)
        after = answer[case.payload]
        assert after[cleared.key] == cleared.cleared, cleared.field
        # everything not sent is as it was, the fields cleared earlier included
        assert {k: v for k, v in after.items() if k not in (cleared.key, "version")} == {
            k: v for k, v in before.items() if k not in (cleared.key, "version")
        }
        assert after["version"] == before["version"] + 1
        assert (await api.data(scene.cio, case.read, {"id": object_id}))["node"] == after
        before = after


@BY_CASE
async def test_a_required_field_sent_blank_or_null_is_invalid_and_changes_nothing(api, scene: Scene, case: Case):
    object_id, _ = await case.make(api, scene.cio, scene.tenant)
    [node] = (await api.data(scene.cio, case.read, {"id": object_id})).values()
    version = await version_of(api, case, object_id)

    for name, values in case.required.items():
        for value in values:
            answer = await api.mutate(scene.cio, case.update, {"id": object_id, name: value})
            assert answer[case.payload] is None, (name, value)
            assert user_error_codes(answer) == [("INVALID", [name])], (name, value)
            assert name in answer["userErrors"][0]["message"]

    assert await version_of(api, case, object_id) == version
    assert (await api.data(scene.cio, case.read, {"id": object_id}))["node"] == node


@BY_CASE
async def test_another_tenants_object_is_not_found(api, scene: Scene, world, case: Case):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    object_id, _ = await case.make(api, admin, scene.other)  # the CIO is not granted `other`
    version = await version_of(api, case, object_id)

    answer = await api.mutate(scene.cio, case.update, {"id": object_id, **case.change})

    assert answer[case.payload] is None
    assert user_error_codes(answer) == [("NOT_FOUND", ["id"])]
    assert await version_of(api, case, object_id) == version


@BY_CASE
async def test_a_client_executive_may_not_update(api, scene: Scene, case: Case):
    object_id, _ = await case.make(api, scene.cio, scene.tenant)
    version = await version_of(api, case, object_id)

    body = await api.run(scene.executive, case.update, {"input": {"id": object_id, **case.change}})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await version_of(api, case, object_id) == version


RECORD = mutation("recordSteeringMeeting", "RecordSteeringMeetingInput", "steeringMeeting", "version status attendees decisions")


async def test_recording_a_meeting_keeps_a_list_left_out_and_clears_one_sent_null(api, scene: Scene):
    meeting, _ = await make_meeting(api, scene.cio, scene.tenant)
    first = await api.mutate(scene.cio, RECORD, {
        "id": meeting, "status": "HELD", "attendees": ["Dana Ruiz (Finance)"], "decisions": ["Approve the firewall"],
    })
    assert first["userErrors"] == [] and first["steeringMeeting"]["attendees"] == ["Dana Ruiz (Finance)"]

    second = await api.mutate(scene.cio, RECORD, {"id": meeting, "status": "HELD", "attendees": None})

    assert second["userErrors"] == []
    assert second["steeringMeeting"] == {
        "version": 3, "status": "HELD", "attendees": [], "decisions": ["Approve the firewall"],
    }


SET_LINE = mutation("setBudgetLine", "SetBudgetLineInput", "budgetLine", "id version vendor { id }")


async def test_set_budget_line_keeps_a_link_left_out_and_unlinks_one_sent_null(api, scene: Scene):
    vendor, _ = await make_vendor(api, scene.cio, scene.tenant)
    line = {"tenantId": gid(scene.tenant), "fiscalYear": 2026, "name": "Laptops", "kind": "CAPEX",
            "category": "Hardware", "planned": "1000.00"}
    linked = await api.mutate(scene.cio, SET_LINE, line | {"vendorId": vendor})
    assert linked["budgetLine"]["vendor"] == {"id": vendor}

    kept = await api.mutate(scene.cio, SET_LINE, line | {"planned": "1100.00"})
    assert kept["userErrors"] == [] and kept["budgetLine"]["vendor"] == {"id": vendor}

    unlinked = await api.mutate(scene.cio, SET_LINE, line | {"vendorId": None})
    assert unlinked["userErrors"] == [] and unlinked["budgetLine"]["vendor"] is None
    assert unlinked["budgetLine"]["id"] == linked["budgetLine"]["id"]


SET_POLICY = "mutation($input: SetPolicyInput!) { setPolicy(input: $input) { policy { status approvedOn documentUrl version } userErrors { field code } } }"


async def test_set_policy_keeps_a_date_and_link_left_out_and_clears_them_sent_null(api, scene: Scene):
    policy = {"tenantId": gid(scene.tenant), "kind": "REMOTE_ACCESS", "status": "DRAFT"}
    first = await api.mutate(scene.cio, SET_POLICY, policy | {"approvedOn": "2026-01-02", "documentUrl": "https://docs.example/ra"})
    assert first["policy"] == {"status": "DRAFT", "approvedOn": "2026-01-02", "documentUrl": "https://docs.example/ra", "version": 1}

    kept = await api.mutate(scene.cio, SET_POLICY, policy)
    assert kept["policy"] | {"version": None} == first["policy"] | {"version": None}

    cleared = await api.mutate(scene.cio, SET_POLICY, policy | {"approvedOn": None, "documentUrl": None})
    assert cleared["userErrors"] == []
    assert cleared["policy"] == {"status": "DRAFT", "approvedOn": None, "documentUrl": None, "version": 2}

    approved_without_date = await api.mutate(scene.cio, SET_POLICY, policy | {"status": "APPROVED", "approvedOn": None})
    assert user_error_codes(approved_without_date) == [("INVALID", ["approvedOn"])]


UPDATE_INTEGRATION = mutation("updateIntegration", "UpdateIntegrationInput", "integration", "id version name")


async def integration_row(api, scene: Scene, integration_id: str):
    key = ids.decode(integration_id)
    [row] = await api.rows([scene.tenant.id], select(Integration.name, Integration.version, Integration.settings)
                           .where(Integration.id == key.id))
    return row


async def test_update_integration_clears_its_default_category_sent_null(api, scene: Scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    integration = await created(api, admin, "createIntegration", "CreateIntegrationInput", "integration", {
        "tenantId": gid(scene.tenant), "vendor": "HALOPSA",
    })
    set_up = await api.mutate(admin, UPDATE_INTEGRATION, {"id": integration, "defaultCategory": "CHANGE"})
    assert set_up["userErrors"] == []
    assert (await integration_row(api, scene, integration)).settings["default"] == "CHANGE"

    renamed = await api.mutate(admin, UPDATE_INTEGRATION, {"id": integration, "name": "Halo EU"})
    assert renamed["integration"]["name"] == "Halo EU"
    assert (await integration_row(api, scene, integration)).settings["default"] == "CHANGE"

    cleared = await api.mutate(admin, UPDATE_INTEGRATION, {"id": integration, "defaultCategory": None, "rules": None})
    assert cleared["userErrors"] == []
    row = await integration_row(api, scene, integration)
    assert (row.settings["default"], row.settings["rules"], row.name) == (None, [], "Halo EU")

    for blank in BLANK:
        answer = await api.mutate(admin, UPDATE_INTEGRATION, {"id": integration, "name": blank})
        assert user_error_codes(answer) == [("INVALID", ["name"])], blank
    assert (await integration_row(api, scene, integration)).version == row.version


async def test_update_integration_sets_mapping_rules(api, scene: Scene, world):
    """A rule sent as {field, equals, category} is stored as the mapping reads it (it was refused before)."""
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    integration = await created(api, admin, "createIntegration", "CreateIntegrationInput", "integration", {
        "tenantId": gid(scene.tenant), "vendor": "HALOPSA",
    })
    rule = {"field": "tickettype", "equals": "Alert", "category": "ALERT"}
    answer = await api.mutate(admin, UPDATE_INTEGRATION, {"id": integration, "rules": [rule]})
    assert answer["userErrors"] == []
    assert (await integration_row(api, scene, integration)).settings["rules"] == [
        {"when": {"tickettype": ["Alert"]}, "category": "ALERT"}
    ]
    unknown = await api.mutate(admin, UPDATE_INTEGRATION, {"id": integration, "rules": [rule | {"field": "queue"}]})
    assert user_error_codes(unknown) == [("INVALID", ["rules", "0", "field"])]
