"""Vendors through GraphQL: create, list, update, delete, relationship values, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.vendors import actions
from app.vendors.models import Vendor, VendorRelationship
from tests.apitools import Scene, error_codes, user_error_codes

FIELDS = "id version name relationship annualCost contractEnd"
CREATE = f"mutation($input: CreateVendorInput!) {{ createVendor(input: $input) {{ vendor {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
UPDATE = f"mutation($input: UpdateVendorInput!) {{ updateVendor(input: $input) {{ vendor {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
DELETE = "mutation($input: DeleteInput!) { deleteVendor(input: $input) { deletedId userErrors { field code } } }"
LIST = "query($id: ID!) { tenant(id: $id) { vendors { name relationship } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Vendor { name version } } }"


async def vendor_rows(api, tenant) -> list:
    return await api.rows([tenant.id], select(Vendor.name, Vendor.version).where(Vendor.tenant_id == tenant.id))


async def test_create_accepts_the_relationship_in_any_case(api, scene: Scene):
    payload = await api.mutate(scene.cio, CREATE, {
        "tenantId": scene.gid(scene.tenant), "name": " Microsoft ", "relationship": "partner",
        "annualCost": "18000.00", "contractEnd": "2027-06-30",
    })

    assert payload["userErrors"] == []
    assert payload["vendor"] | {"id": None} == {
        "id": None, "version": 1, "name": "Microsoft", "relationship": "PARTNER",
        "annualCost": "18000.00", "contractEnd": "2027-06-30",
    }
    assert (await api.audit_actions(scene.tenant))[-1] == "vendor.create"


async def test_an_unknown_relationship_names_the_allowed_values(api, scene: Scene):
    payload = await api.mutate(scene.cio, CREATE, {"tenantId": scene.gid(scene.tenant), "name": "Acme", "relationship": "friend"})

    assert user_error_codes(payload) == [("INVALID", ["relationship"])]
    assert "COMMODITY, PARTNER" in payload["userErrors"][0]["message"]
    assert await vendor_rows(api, scene.tenant) == []


async def test_tenant_vendors_lists_by_name(api, scene: Scene):
    for name, relationship in [("Zscaler", "COMMODITY"), ("Atera", "PARTNER")]:
        await api.act(scene.tenant, actions.create_vendor, name=name, relationship=relationship)
    await api.act(scene.other, actions.create_vendor, name="Not yours", relationship="PARTNER")

    data = await api.data(scene.executive, LIST, {"id": scene.gid(scene.tenant)})

    assert data["tenant"]["vendors"] == [
        {"name": "Atera", "relationship": "PARTNER"}, {"name": "Zscaler", "relationship": "COMMODITY"},
    ]


async def test_update_and_delete(api, scene: Scene):
    vendor = await api.act(scene.tenant, actions.create_vendor, name="Dell", relationship=VendorRelationship.COMMODITY)
    gid = scene.object_id("Vendor", vendor)

    payload = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "annualCost": "999.99", "relationship": "Partner"})
    assert payload["userErrors"] == []
    assert (payload["vendor"]["version"], payload["vendor"]["annualCost"], payload["vendor"]["relationship"]) == (2, "999.99", "PARTNER")

    stale = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "name": "HP"})
    assert user_error_codes(stale) == [("CONFLICT", ["expectedVersion"])]
    invalid = await api.mutate(scene.cio, UPDATE, {"id": gid, "annualCost": "-5"})
    assert user_error_codes(invalid) == [("INVALID", ["annualCost"])]
    assert await vendor_rows(api, scene.tenant) == [("Dell", 2)]

    deleted = await api.mutate(scene.cio, DELETE, {"id": gid})
    assert deleted == {"deletedId": gid, "userErrors": []}
    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert await vendor_rows(api, scene.tenant) == []


async def test_a_client_executive_cannot_write(api, scene: Scene):
    vendor = await api.act(scene.tenant, actions.create_vendor, name="Dell", relationship="COMMODITY")
    gid = scene.object_id("Vendor", vendor)

    for query, input in [
        (CREATE, {"tenantId": scene.gid(scene.tenant), "name": "X", "relationship": "PARTNER"}),
        (UPDATE, {"id": gid, "name": "X"}),
        (DELETE, {"id": gid}),
    ]:
        assert error_codes(await api.run(scene.executive, query, {"input": input})) == ["FORBIDDEN"]
    assert await vendor_rows(api, scene.tenant) == [("Dell", 1)]


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_another_tenants_vendors_do_not_exist_for_the_cio(api, scene: Scene, which):
    tenant = getattr(scene, which)
    vendor = await api.act(
        tenant, actions.create_vendor, name="Theirs", relationship="PARTNER",
        annual_cost=Decimal(1), contract_end=dt.date(2027, 1, 1),
    )
    gid = scene.object_id("Vendor", vendor)

    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    for query, input, field in [
        (CREATE, {"tenantId": scene.gid(tenant), "name": "Mine", "relationship": "PARTNER"}, "tenantId"),
        (UPDATE, {"id": gid, "name": "Mine"}, "id"),
        (DELETE, {"id": gid}, "id"),
    ]:
        assert user_error_codes(await api.mutate(scene.cio, query, input)) == [("NOT_FOUND", [field])]
    assert await vendor_rows(api, tenant) == [("Theirs", 1)]
