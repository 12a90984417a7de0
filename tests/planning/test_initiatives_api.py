"""Initiatives through GraphQL: create, list (filters, orders, pages), update, delete, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.planning import actions
from app.planning.models import Initiative, InitiativeStatus
from tests.apitools import Scene, error_codes, user_error_codes

FIELDS = "id version title status priority targetMonth costEstimate hoursSavedPerMonth revenueAtRisk description"
CREATE = f"mutation($input: CreateInitiativeInput!) {{ createInitiative(input: $input) {{ initiative {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
UPDATE = f"mutation($input: UpdateInitiativeInput!) {{ updateInitiative(input: $input) {{ initiative {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
DELETE = "mutation($input: DeleteInput!) { deleteInitiative(input: $input) { deletedId userErrors { field code } } }"
LIST = """query($id: ID!, $first: Int, $after: String, $status: [InitiativeStatus!], $order: InitiativeOrder) {
  tenant(id: $id) { initiatives(first: $first, after: $after, status: $status, orderBy: $order) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Initiative { title version } } }"


async def initiative_rows(api, tenant) -> list:
    return await api.rows([tenant.id], select(Initiative.title, Initiative.version).where(Initiative.tenant_id == tenant.id))


async def test_create_returns_the_initiative_and_audits_it(api, scene: Scene):
    payload = await api.mutate(scene.cio, CREATE, {
        "tenantId": scene.gid(scene.tenant), "title": "  Move mail to the cloud ", "priority": 2,
        "targetMonth": "2027-03", "costEstimate": "12500.50", "hoursSavedPerMonth": 12.5,
        "revenueAtRisk": "40000", "description": "Retire the on-site server.",
    })

    assert payload["userErrors"] == []
    initiative = payload["initiative"]
    assert initiative | {"id": None} == {
        "id": None, "version": 1, "title": "Move mail to the cloud", "status": "PROPOSED", "priority": 2,
        "targetMonth": "2027-03", "costEstimate": "12500.50", "hoursSavedPerMonth": 12.5,
        "revenueAtRisk": "40000", "description": "Retire the on-site server.",
    }
    found = await api.data(scene.cio, NODE, {"id": initiative["id"]})
    assert found["node"] == {"title": "Move mail to the cloud", "version": 1}
    assert (await api.audit_actions(scene.tenant))[-1] == "initiative.create"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": 6}, "priority"),
        ({"priority": 0}, "priority"),
        ({"costEstimate": "10.005"}, "costEstimate"),
        ({"revenueAtRisk": "-1"}, "revenueAtRisk"),
        ({"hoursSavedPerMonth": -0.5}, "hoursSavedPerMonth"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
    ],
)
async def test_invalid_fields_are_user_errors_and_nothing_is_stored(api, scene: Scene, change, field):
    payload = await api.mutate(scene.cio, CREATE, {"tenantId": scene.gid(scene.tenant), "title": "Firewall"} | change)

    assert payload["initiative"] is None
    assert user_error_codes(payload) == [("INVALID", [field])]
    assert await initiative_rows(api, scene.tenant) == []


async def test_update_changes_the_given_fields_and_refuses_a_stale_version(api, scene: Scene):
    created = await api.act(scene.tenant, actions.create_initiative, title="Backups", target_month=dt.date(2027, 1, 1))
    gid = scene.object_id("Initiative", created)

    payload = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "status": "IN_PROGRESS", "priority": 1})
    assert payload["userErrors"] == []
    assert payload["initiative"] | {"id": None, "description": None} == {
        "id": None, "version": 2, "title": "Backups", "status": "IN_PROGRESS", "priority": 1,
        "targetMonth": "2027-01", "costEstimate": None, "hoursSavedPerMonth": None, "revenueAtRisk": None,
        "description": None,
    }

    stale = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "title": "Overwritten"})
    assert stale["initiative"] is None
    assert user_error_codes(stale) == [("CONFLICT", ["expectedVersion"])]
    assert await initiative_rows(api, scene.tenant) == [("Backups", 2)]

    invalid = await api.mutate(scene.cio, UPDATE, {"id": gid, "priority": 9})
    assert user_error_codes(invalid) == [("INVALID", ["priority"])]


async def test_list_filters_orders_and_pages(api, scene: Scene):
    for title, priority, month, status in [
        ("Later", 1, dt.date(2027, 6, 1), InitiativeStatus.PROPOSED),
        ("Sooner", 3, dt.date(2027, 2, 1), InitiativeStatus.APPROVED),
        ("Undated", 2, None, InitiativeStatus.DONE),
    ]:
        await api.act(scene.tenant, actions.create_initiative, title=title, priority=priority, target_month=month, status=status)
    await api.act(scene.other, actions.create_initiative, title="Someone else's")

    async def titles(**variables):
        data = await api.data(scene.cio, LIST, {"id": scene.gid(scene.tenant)} | variables)
        return [e["node"]["title"] for e in data["tenant"]["initiatives"]["edges"]]

    assert await titles() == ["Sooner", "Later", "Undated"]
    assert await titles(order="PRIORITY_ASC") == ["Later", "Undated", "Sooner"]
    assert await titles(order="CREATED_DESC") == ["Undated", "Sooner", "Later"]
    assert await titles(status=["PROPOSED", "DONE"]) == ["Later", "Undated"]

    first = (await api.data(scene.cio, LIST, {"id": scene.gid(scene.tenant), "first": 2}))["tenant"]["initiatives"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert await titles(first=2, after=first["pageInfo"]["endCursor"]) == ["Undated"]


async def test_delete_removes_the_initiative(api, scene: Scene):
    created = await api.act(scene.tenant, actions.create_initiative, title="Old CRM")
    gid = scene.object_id("Initiative", created)

    payload = await api.mutate(scene.cio, DELETE, {"id": gid})

    assert payload == {"deletedId": gid, "userErrors": []}
    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert await initiative_rows(api, scene.tenant) == []
    assert (await api.audit_actions(scene.tenant))[-1] == "initiative.delete"


async def test_a_client_executive_reads_but_cannot_write(api, scene: Scene):
    created = await api.act(scene.tenant, actions.create_initiative, title="Laptops")
    gid = scene.object_id("Initiative", created)

    assert (await api.data(scene.executive, NODE, {"id": gid}))["node"]["title"] == "Laptops"
    for query, input in [
        (CREATE, {"tenantId": scene.gid(scene.tenant), "title": "Sneaky"}),
        (UPDATE, {"id": gid, "title": "Sneaky"}),
        (DELETE, {"id": gid}),
    ]:
        body = await api.run(scene.executive, query, {"input": input})
        assert error_codes(body) == ["FORBIDDEN"]
    assert await initiative_rows(api, scene.tenant) == [("Laptops", 1)]


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_another_tenants_initiatives_do_not_exist_for_the_cio(api, scene: Scene, which):
    tenant = getattr(scene, which)
    created = await api.act(tenant, actions.create_initiative, title="Theirs", cost_estimate=Decimal("10"))
    gid = scene.object_id("Initiative", created)

    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert (await api.data(scene.cio, LIST, {"id": scene.gid(tenant)}))["tenant"] is None
    for query, input, field in [
        (CREATE, {"tenantId": scene.gid(tenant), "title": "Mine now"}, "tenantId"),
        (UPDATE, {"id": gid, "title": "Mine now"}, "id"),
        (DELETE, {"id": gid}, "id"),
    ]:
        payload = await api.mutate(scene.cio, query, input)
        assert user_error_codes(payload) == [("NOT_FOUND", [field])]
    assert await initiative_rows(api, tenant) == [("Theirs", 1)]
