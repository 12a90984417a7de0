"""ingestAssets: upsert by (source, externalId), errors by index, who may push, what it marks stale."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.auth.apikeys import create_api_key
from app.health.models import HealthScore, StaleHealthMonth
from app.lifecycle.models import Asset
from app.months import add_months, current_month
from app.tenants.models import Role
from tests.apitools import Scene, error_codes, user_error_codes
from tests.health.rows import add

PUSH = """mutation($input: IngestAssetsInput!) { ingestAssets(input: $input) {
  accepted userErrors { field code message } } }"""


def asset(n, **fields):
    return {"externalId": f"CI-{n}", "name": f"Device {n}", "kind": "WORKSTATION", **fields}


@pytest.fixture
async def pushing(world, api):
    """A tenant, its admin, and an API key scoped to it (its token as a client sends it)."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    async with world.scope(()) as session:
        _, token = await create_api_key(session, await world.principal(admin), "rmm sync", [tenant.id])
    return tenant, admin, token


async def push(api, token, tenant, assets, source="rmm"):
    data = await api.data(PUSH, {"input": {"tenantId": Scene.gid(tenant), "source": source, "assets": assets}}, token)
    return data["ingestAssets"]


async def stored(api, tenant) -> dict:
    rows = await api.rows([tenant.id], select(Asset).where(Asset.tenant_id == tenant.id))
    return {a.external_id: a for (a,) in rows}


async def test_good_assets_are_stored_and_bad_ones_reported_by_index(api, pushing):
    tenant, _, token = pushing
    payload = await push(api, token, tenant, [
        asset(1, purchasedOn="2024-02-01", replacementCost="999.00"),
        asset(2, name=" "),
        asset(3, purchasedOn="2024-02-01", retiredOn="2023-01-01"),
        asset(4, replacementCost="-3"),
        {"externalId": " ", "name": "No id", "kind": "OTHER"},
        asset(6, kind="SERVER", manufacturer="Dell"),
    ])

    assert payload["accepted"] == 2
    assert user_error_codes(payload) == [
        ("INVALID", ["assets", "1", "name"]), ("INVALID", ["assets", "2", "retiredOn"]),
        ("INVALID", ["assets", "3", "replacementCost"]), ("INVALID", ["assets", "4", "externalId"]),
    ]
    assets = await stored(api, tenant)
    assert set(assets) == {"CI-1", "CI-6"}
    assert (assets["CI-1"].source, str(assets["CI-1"].replacement_cost), assets["CI-6"].manufacturer) == ("rmm", "999.00", "Dell")
    assert (await api.audit_actions(tenant))[-1] == "assets.ingest"


async def test_pushing_again_updates_in_place_and_keeps_a_replacement_date_set_by_hand(api, pushing):
    tenant, admin, token = pushing
    await push(api, token, tenant, [asset(1, purchasedOn="2022-01-01")])
    first = (await stored(api, tenant))["CI-1"]
    gid = Scene.object_id("Asset", first)
    await api.mutate(admin, "mutation($input: UpdateAssetInput!) { updateAsset(input: $input) { userErrors { code } } }",
                     {"id": gid, "replaceBy": "2030-01-01"})

    await push(api, token, tenant, [asset(1, purchasedOn="2022-01-01")])  # unchanged: not rewritten
    await push(api, token, tenant, [asset(1, name="Renamed", purchasedOn="2022-01-01"), asset(1, name="Last wins")])

    again = (await stored(api, tenant))["CI-1"]
    assert (again.id, again.name, again.version, again.replace_by) == (first.id, "Last wins", 3, dt.date(2030, 1, 1))
    assert len(await stored(api, tenant)) == 1
    # Another source is another asset.
    await push(api, token, tenant, [asset(1)], source="psa")
    assert len(await api.rows([tenant.id], select(Asset.id).where(Asset.tenant_id == tenant.id))) == 2


async def test_the_manual_source_is_reserved_and_batches_are_capped(api, pushing):
    tenant, _, token = pushing
    reserved = await push(api, token, tenant, [asset(1)], source=" Manual ")
    assert (reserved["accepted"], user_error_codes(reserved)) == (0, [("INVALID", ["source"])])
    capped = await api.post(PUSH, {"input": {"tenantId": Scene.gid(tenant), "source": "rmm",
                                             "assets": [asset(n) for n in range(1001)]}}, token)
    assert error_codes(capped) == ["LIMIT"]  # the request's own list limit answers first
    assert await stored(api, tenant) == {}


async def test_a_key_of_another_tenant_and_an_executive_are_refused(api, pushing, world):
    tenant, _, token = pushing
    other = await world.tenant(await world.practice())
    missing = await push(api, token, other, [asset(1)])
    assert user_error_codes(missing) == [("NOT_FOUND", ["tenantId"])]
    practice = await world.practice()
    own = await world.tenant(practice)
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [own])
    body = await api.run(executive, PUSH, {"input": {"tenantId": Scene.gid(own), "source": "rmm", "assets": [asset(1)]}})
    assert error_codes(body) == ["FORBIDDEN"]
    assert await stored(api, other) == {} and await stored(api, own) == {}


async def test_a_backfilled_asset_marks_the_scored_months_it_reaches(api, pushing):
    tenant, _, token = pushing
    closed = add_months(current_month(), -1)
    await add(api.services.sessionmaker, tenant.id, HealthScore(
        tenant_id=tenant.id, month=closed, score=70, band="GREEN", components=[], inputs={}, formula_version=2))

    await push(api, token, tenant, [asset(1, purchasedOn=current_month().isoformat())])
    marks = select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant.id)
    assert await api.rows([tenant.id], marks) == []
    await push(api, token, tenant, [asset(1, purchasedOn=add_months(closed, -12).isoformat())])
    assert [r.month for r in await api.rows([tenant.id], marks)] == [closed]
