"""Assets through GraphQL: create, read (status and replaceBy derived), update, delete, list, forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.api import ids
from app.db.scope import tenant_session
from app.health.models import HealthScore, StaleHealthMonth
from app.integrations import actions as integrations
from app.integrations.models import Integration
from app.lifecycle import actions
from app.lifecycle.models import Asset, AssetKind
from app.months import add_months, current_month
from app.tenants.models import Role
from tests.apitools import Scene, error_codes, user_error_codes
from tests.health.rows import add
from tests.integrations.conftest import SECRET_KEY

FIELDS = ("id version name kind manufacturer model serialNumber purchasedOn warrantyEnd endOfSupport retiredOn "
          "replaceBy replacementCost status source externalId")
PAYLOAD = f"asset {{ {FIELDS} }} userErrors {{ field code message }}"
CREATE = f"mutation($input: CreateAssetInput!) {{ createAsset(input: $input) {{ {PAYLOAD} }} }}"
UPDATE = f"mutation($input: UpdateAssetInput!) {{ updateAsset(input: $input) {{ {PAYLOAD} }} }}"
DELETE = "mutation($input: DeleteInput!) { deleteAsset(input: $input) { deletedId userErrors { field code } } }"
LIST = """query($id: ID!, $status: [LifecycleStatus!], $kind: [AssetKind!], $first: Int, $after: String) {
  tenant(id: $id) { assets(status: $status, kind: $kind, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { name status kind } } } }"""
FORECAST = "query($id: ID!, $q: Int) { tenant(id: $id) { lifecycleForecast(quarters: $q) { quarter assets replacementCost } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Asset { name version status replaceBy } } }"

TODAY = actions.today()


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


async def asset_rows(api, tenant) -> list:
    return await api.rows([tenant.id], select(Asset.name, Asset.version).where(Asset.tenant_id == tenant.id).order_by(Asset.name))


async def test_create_derives_replace_by_and_status(api, scene: Scene):
    payload = await api.mutate(scene.cio, CREATE, {
        "tenantId": scene.gid(scene.tenant), "name": " Reception laptop ", "kind": "LAPTOP", "manufacturer": "Lenovo",
        "purchasedOn": "2023-03-01", "warrantyEnd": days(90), "replacementCost": "1450.00",
    })

    assert payload["userErrors"] == []
    assert payload["asset"] | {"id": None} == {
        "id": None, "version": 1, "name": "Reception laptop", "kind": "LAPTOP", "manufacturer": "Lenovo", "model": None,
        "serialNumber": None, "purchasedOn": "2023-03-01", "warrantyEnd": days(90), "endOfSupport": None,
        "retiredOn": None, "replaceBy": min(days(90), "2027-03-01"), "replacementCost": "1450.00",
        "status": "EXPIRING", "source": "manual", "externalId": None,
    }
    assert (await api.audit_actions(scene.tenant))[-1] == "asset.create"


async def test_a_set_replace_by_wins_and_software_has_no_age(api, scene: Scene):
    t = scene.gid(scene.tenant)
    licence = await api.mutate(scene.cio, CREATE, {"tenantId": t, "name": "ERP licence", "kind": "SOFTWARE",
                                                   "purchasedOn": "2010-01-01", "warrantyEnd": "2011-01-01"})
    chosen = await api.mutate(scene.cio, CREATE, {"tenantId": t, "name": "Core switch", "kind": "NETWORK",
                                                  "endOfSupport": days(-5), "replaceBy": days(400)})

    assert (licence["asset"]["replaceBy"], licence["asset"]["status"]) == (None, "UNKNOWN")
    assert (chosen["asset"]["replaceBy"], chosen["asset"]["status"]) == (days(400), "CURRENT")


async def test_bad_input_is_refused_with_the_field_and_nothing_stored(api, scene: Scene):
    t = scene.gid(scene.tenant)
    cases = [
        ({"name": "  "}, ["name"]),
        ({"replacementCost": "-1"}, ["replacementCost"]),
        ({"replacementCost": "1.234"}, ["replacementCost"]),
        ({"purchasedOn": "2024-05-01", "retiredOn": "2024-04-30"}, ["retiredOn"]),
        ({"purchasedOn": "2024-05-01", "warrantyEnd": "2023-05-01"}, ["warrantyEnd"]),
        ({"serialNumber": "x" * 201}, ["serialNumber"]),
    ]
    for fields, field in cases:
        payload = await api.mutate(scene.cio, CREATE, {"tenantId": t, "name": "Server", "kind": "SERVER", **fields})
        assert (payload["asset"], user_error_codes(payload)) == (None, [("INVALID", field)]), fields
    body = await api.run(scene.cio, CREATE, {"input": {"tenantId": t, "name": "x", "kind": "TOASTER"}})
    assert body.get("errors")  # not an AssetKind: refused by the schema
    assert await asset_rows(api, scene.tenant) == []


async def test_update_delete_and_versions(api, scene: Scene):
    asset = await api.act(scene.tenant, actions.create_asset, name="File server", kind=AssetKind.SERVER,
                          purchased_on=dt.date(2022, 1, 10))
    gid = scene.object_id("Asset", asset)

    payload = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "kind": "STORAGE", "model": "DS920+"})
    assert payload["userErrors"] == []
    assert (payload["asset"]["version"], payload["asset"]["kind"], payload["asset"]["model"]) == (2, "STORAGE", "DS920+")
    stale = await api.mutate(scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "name": "NAS"})
    assert user_error_codes(stale) == [("CONFLICT", ["expectedVersion"])]
    cleared = await api.mutate(scene.cio, UPDATE, {"id": gid, "name": None})
    assert user_error_codes(cleared) == [("INVALID", ["name"])]
    backwards = await api.mutate(scene.cio, UPDATE, {"id": gid, "retiredOn": "2021-12-31"})
    assert user_error_codes(backwards) == [("INVALID", ["retiredOn"])]
    assert await asset_rows(api, scene.tenant) == [("File server", 2)]
    assert (await api.data(scene.executive, NODE, {"id": gid}))["node"]["version"] == 2

    deleted = await api.mutate(scene.cio, DELETE, {"id": gid})
    assert deleted == {"deletedId": gid, "userErrors": []}
    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert await asset_rows(api, scene.tenant) == []
    assert (await api.audit_actions(scene.tenant))[-3:] == ["asset.create", "asset.update", "asset.delete"]


async def test_executives_may_read_but_not_write(api, scene: Scene):
    asset = await api.act(scene.tenant, actions.create_asset, name="Printer", kind="PRINTER")
    gid = scene.object_id("Asset", asset)
    for query, input in [
        (CREATE, {"tenantId": scene.gid(scene.tenant), "name": "Planted", "kind": "OTHER"}),
        (UPDATE, {"id": gid, "name": "Renamed"}),
        (DELETE, {"id": gid}),
    ]:
        assert error_codes(await api.run(scene.executive, query, {"input": input})) == ["FORBIDDEN"]
    assert await asset_rows(api, scene.tenant) == [("Printer", 1)]
    listed = await api.data(scene.executive, LIST, {"id": scene.gid(scene.tenant)})
    assert listed["tenant"]["assets"]["nodes"] == [{"name": "Printer", "status": "UNKNOWN", "kind": "PRINTER"}]


async def test_another_tenants_assets_are_not_found(api, scene: Scene):
    hidden = await api.act(scene.other, actions.create_asset, name="Hidden", kind="SERVER")
    gid = scene.object_id("Asset", hidden)

    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert user_error_codes(await api.mutate(scene.cio, UPDATE, {"id": gid, "name": "Mine"})) == [("NOT_FOUND", ["id"])]
    assert user_error_codes(await api.mutate(scene.cio, DELETE, {"id": gid})) == [("NOT_FOUND", ["id"])]
    created = await api.mutate(scene.cio, CREATE, {"tenantId": scene.gid(scene.foreign), "name": "Planted", "kind": "OTHER"})
    assert user_error_codes(created) == [("NOT_FOUND", ["tenantId"])]
    assert await asset_rows(api, scene.other) == [("Hidden", 1)]
    assert await asset_rows(api, scene.foreign) == []


async def make_fleet(api, tenant) -> None:
    """One asset of every status today, and one retired."""
    for name, kind, fields in [
        ("A current laptop", "LAPTOP", {"purchased_on": TODAY - dt.timedelta(days=30)}),
        ("B expiring firewall", "NETWORK", {"end_of_support": TODAY + dt.timedelta(days=100), "replacement_cost": Decimal("3000.00")}),
        ("C unsupported server", "SERVER", {"end_of_support": TODAY - dt.timedelta(days=400), "replacement_cost": Decimal("9000.50")}),
        ("D unknown software", "SOFTWARE", {}),
        ("E retired desktop", "WORKSTATION", {"purchased_on": dt.date(2015, 1, 1), "retired_on": dt.date(2019, 1, 1),
                                             "replacement_cost": Decimal("800.00")}),
    ]:
        await api.act(tenant, actions.create_asset, name=name, kind=kind, **fields)


async def test_the_list_filters_by_status_today_and_kind_and_pages(api, scene: Scene):
    await make_fleet(api, scene.tenant)
    t = scene.gid(scene.tenant)

    async def names(**variables):
        data = await api.data(scene.cio, LIST, {"id": t, **variables})
        return [n["name"] for n in data["tenant"]["assets"]["nodes"]]

    assert await names() == ["A current laptop", "B expiring firewall", "C unsupported server", "D unknown software",
                             "E retired desktop"]
    assert await names(status=["UNSUPPORTED"]) == ["C unsupported server", "E retired desktop"]
    assert await names(status=["EXPIRING", "CURRENT"]) == ["A current laptop", "B expiring firewall"]
    assert await names(status=["UNKNOWN"], kind=["SOFTWARE", "LAPTOP"]) == ["D unknown software"]
    first = await api.data(scene.cio, LIST, {"id": t, "first": 2})
    page = first["tenant"]["assets"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (5, True)
    assert await names(first=2, after=page["pageInfo"]["endCursor"]) == ["C unsupported server", "D unknown software"]


def fiscal_label(month: dt.date, start: int) -> str:
    """The label worked out by hand: the fiscal year is named by the calendar year it starts in."""
    year = month.year if month.month >= start else month.year - 1
    return f"{year}-Q{((month.month - start) % 12) // 3 + 1}"


async def test_the_forecast_groups_by_fiscal_quarter_with_the_past_in_the_first(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice, fiscal_year_start_month=7)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    q0 = actions.quarter_start(TODAY, 7)
    assert (q0.month - 7) % 3 == 0 and q0 <= TODAY < add_months(q0, 3)
    for name, fields in [
        ("long past", {"replace_by": q0 - dt.timedelta(days=400), "replacement_cost": Decimal("9000.50")}),
        ("this quarter", {"replace_by": add_months(q0, 1), "replacement_cost": Decimal("100")}),
        ("two quarters on", {"replace_by": add_months(q0, 7), "replacement_cost": Decimal("600")}),
        ("no cost", {"replace_by": add_months(q0, 9)}),
        ("beyond the window", {"replace_by": add_months(q0, 12), "replacement_cost": Decimal("5")}),
        ("retired", {"replace_by": add_months(q0, 1), "retired_on": TODAY - dt.timedelta(days=1),
                     "replacement_cost": Decimal("7")}),
        ("not bought yet", {"replace_by": add_months(q0, 1), "purchased_on": TODAY + dt.timedelta(days=10)}),
    ]:
        await api.act(tenant, actions.create_asset, name=name, kind="MOBILE", **fields)
    await api.act(tenant, actions.create_asset, name="no date", kind="SOFTWARE")

    data = await api.data(admin, FORECAST, {"id": Scene.gid(tenant), "q": 4})

    assert data["tenant"]["lifecycleForecast"] == [
        {"quarter": fiscal_label(add_months(q0, 3 * i), 7), "assets": count, "replacementCost": cost}
        for i, (count, cost) in enumerate([(2, "9100.50"), (0, "0.00"), (1, "600.00"), (1, "0.00")])
    ]
    default = await api.data(admin, FORECAST, {"id": Scene.gid(tenant)})
    assert len(default["tenant"]["lifecycleForecast"]) == 8


async def test_the_forecast_refuses_a_silly_number_of_quarters(api, scene: Scene):
    for quarters in (0, 41):
        body = await api.run(scene.cio, FORECAST, {"id": scene.gid(scene.tenant), "q": quarters})
        assert error_codes(body) == ["INVALID"], body


async def test_writes_reaching_into_scored_months_mark_them_stale(api, scene: Scene):
    closed = add_months(current_month(), -1)
    older = add_months(current_month(), -3)
    for month in (closed, older):
        await add(api.services.sessionmaker, scene.tenant.id, HealthScore(
            tenant_id=scene.tenant.id, month=month, score=80, band="GREEN", components=[], inputs={}, formula_version=2))

    async def marks():
        rows = await api.rows([scene.tenant.id], select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == scene.tenant.id))
        return sorted(r.month for r in rows)

    async def clear():
        async with tenant_session(api.services.sessionmaker, [scene.tenant.id]) as session:
            await session.execute(StaleHealthMonth.__table__.delete())

    # Bought this month: no scored month had it in service.
    fresh = await api.mutate(scene.cio, CREATE, {"tenantId": scene.gid(scene.tenant), "name": "New", "kind": "LAPTOP",
                                                 "purchasedOn": current_month().isoformat()})
    assert await marks() == []
    # Backfilled two months ago: the closed month counts it, the older one does not.
    await api.mutate(scene.cio, UPDATE, {"id": fresh["asset"]["id"], "purchasedOn": add_months(closed, -1).isoformat()})
    assert await marks() == [closed]
    await clear()
    # A rename changes no month.
    await api.mutate(scene.cio, UPDATE, {"id": fresh["asset"]["id"], "name": "Renamed"})
    assert await marks() == []
    await api.mutate(scene.cio, DELETE, {"id": fresh["asset"]["id"]})
    assert await marks() == [closed]


INTEGRATION = """mutation($input: UpdateIntegrationInput!) { updateIntegration(input: $input) {
  integration { id } userErrors { field code message } } }"""


async def test_an_integrations_asset_mapping_is_set_through_the_api(api, scene: Scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    made, _ = await api.act(scene.tenant, integrations.create_integration, "CONNECTWISE", secret_key=SECRET_KEY)
    gid = ids.encode("Integration", made.id)

    payload = await api.mutate(admin, INTEGRATION, {"id": gid, "assetRules": [
        {"field": "configurationType", "equals": "Rugged Tablet", "kind": "MOBILE"}], "defaultAssetKind": None})
    assert payload["userErrors"] == []
    [row] = await api.rows([scene.tenant.id], select(Integration.settings).where(Integration.id == made.id))
    assert (row.settings["asset_rules"], row.settings["asset_default"]) == (
        [{"when": {"configurationType": ["Rugged Tablet"]}, "kind": "MOBILE"}], None)
    unknown = await api.mutate(admin, INTEGRATION, {"id": gid, "assetRules": [
        {"field": "assettype", "equals": "Laptop", "kind": "LAPTOP"}]})
    assert user_error_codes(unknown) == [("INVALID", ["assetRules", "0", "field"])]
    assert "configurationStatus, configurationType" in unknown["userErrors"][0]["message"]
