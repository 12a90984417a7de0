"""PSA asset events: verified like ticket events, stored raw first, deduplicated, mapped to a kind, replayable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.db.scope import tenant_session
from app.health.models import HealthScore, StaleHealthMonth
from app.integrations import actions, processing
from app.integrations.models import DeliveryStatus, PsaVendor
from app.lifecycle.models import Asset, AssetKind
from app.months import add_months, current_month
from tests.health.rows import add
from tests.integrations import payloads
from tests.integrations.conftest import SIGNING_KEY, deliveries, make_integration, process_all


async def post(client, integration, delivery) -> int:
    body, headers = delivery
    return (await client.post(f"/integrations/{integration.id}/webhook", content=body, headers=headers)).status_code


async def assets(services, tenant_id) -> dict[str, Asset]:
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        return {a.external_id: a for a in await session.scalars(select(Asset).where(Asset.tenant_id == tenant_id))}


async def test_a_connectwise_configuration_becomes_an_asset_and_its_deletion_removes_it(services, client, client_tenant, key_server):
    integration, _ = await make_integration(services, client_tenant, PsaVendor.CONNECTWISE, key_origins=[key_server])
    key_url = f"{key_server}/callbackkey?id=9"
    tenant_id = client_tenant.tenant.id
    forged = payloads.connectwise_configuration(key_url, signing_key="not-the-key")
    genuine = payloads.connectwise_configuration(key_url, signing_key=SIGNING_KEY, message_id="cfg-msg-1")

    assert await post(client, integration, forged) == 401
    assert await post(client, integration, genuine) == 202
    assert await post(client, integration, genuine) == 202  # a retry is stored once
    stored = await deliveries(services, tenant_id)
    assert sorted(d.status.value for d in stored) == ["RECEIVED", "REJECTED"]
    assert await process_all(services, tenant_id) == ["PROCESSED"]

    asset = (await assets(services, tenant_id))["3301"]
    assert (asset.source, asset.name, asset.kind, asset.manufacturer, asset.model, asset.serial_number) == (
        "connectwise", "ACME-WS-014", AssetKind.WORKSTATION, "Dell", "OptiPlex 7090", "7XK2P13")
    assert (asset.purchased_on, asset.warranty_end, asset.retired_on) == (dt.date(2021, 4, 12), dt.date(2024, 4, 12), None)

    await post(client, integration, payloads.connectwise_configuration(key_url, signing_key=SIGNING_KEY, active=False))
    await process_all(services, tenant_id)
    assert (await assets(services, tenant_id))["3301"].retired_on == dt.date(2026, 9, 3)  # made inactive on that day

    await post(client, integration, payloads.connectwise_configuration(key_url, signing_key=SIGNING_KEY, action="deleted"))
    assert await process_all(services, tenant_id) == ["PROCESSED"]
    assert await assets(services, tenant_id) == {}


async def test_autotask_items_need_a_rule_for_their_type_ids_and_partial_updates_keep_the_rest(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.AUTOTASK)
    tenant_id = client_tenant.tenant.id
    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        await actions.update_integration(session, client_tenant.actor, integration.id, asset_rules=[
            {"when": {"configurationItemType": ["2"]}, "kind": "WORKSTATION"}])
    assert await post(client, integration, payloads.autotask_configuration_item(None)) == 401
    assert await post(client, integration, payloads.autotask_configuration_item(secret)) == 202
    assert await post(client, integration, payloads.autotask_configuration_item(
        secret, item_id=29684002, fields={"ReferenceTitle": "Unmapped", "ConfigurationItemType": "9"})) == 202
    assert await process_all(services, tenant_id) == ["PROCESSED", "PROCESSED"]

    found = await assets(services, tenant_id)
    assert (found["29684001"].name, found["29684001"].kind, found["29684001"].purchased_on) == (
        "Reception PC – Café", AssetKind.WORKSTATION, dt.date(2022, 1, 17))
    assert found["29684002"].kind == AssetKind.OTHER  # no rule: the integration's default kind

    await post(client, integration, payloads.autotask_configuration_item(
        secret, sequence=2, fields={"WarrantyExpirationDate": "2027-01-17T00:00:00", "IsActive": "false"}))
    await process_all(services, tenant_id)
    again = (await assets(services, tenant_id))["29684001"]
    assert (again.name, again.kind, again.warranty_end, again.retired_on) == (
        "Reception PC – Café", AssetKind.WORKSTATION, dt.date(2027, 1, 17), dt.date(2026, 9, 2))


async def test_a_halopsa_asset_that_cannot_be_mapped_fails_and_is_replayed_once_fixed(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    tenant_id = client_tenant.tenant.id
    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        await actions.update_integration(session, client_tenant.actor, integration.id, default_asset_kind=None)
    await post(client, integration, payloads.halopsa_asset(secret, assettype="Ruggedised Handheld"))
    await post(client, integration, payloads.halopsa_asset(secret, asset_id=813, assettype=" laptop "))
    await post(client, integration, payloads.halopsa_asset(secret, asset_id=814, warranty_end="2020-01-01T00:00:00"))

    assert await process_all(services, tenant_id) == ["FAILED", "PROCESSED", "FAILED"]
    failed = {d.body.count(b'"id":812'): d for d in await deliveries(services, tenant_id) if d.status == DeliveryStatus.FAILED}
    assert "assettype='Ruggedised Handheld'" in failed[1].error and "no default asset kind" in failed[1].error
    assert "warrantyEnd" in failed[0].error  # a warranty ending before the purchase: the asset rules hold
    assert (await assets(services, tenant_id))["813"].kind == AssetKind.LAPTOP  # a usual Halo type name

    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        await actions.update_integration(session, client_tenant.actor, integration.id, asset_rules=[
            {"when": {"assettype": ["Ruggedised Handheld"]}, "kind": "MOBILE"}])
    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        replayed = await processing.replay_delivery(session, client_tenant.actor, tenant_id, failed[1].id)
    assert replayed.status == DeliveryStatus.PROCESSED
    asset = (await assets(services, tenant_id))["812"]
    assert (asset.kind, asset.name, asset.serial_number, asset.model) == (AssetKind.MOBILE, "FIN-LT-07", "PF3ABC12",
                                                                        "ThinkPad T14 Gen 3")


async def test_an_asset_event_marks_the_scored_months_it_changes(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    tenant_id = client_tenant.tenant.id
    closed = add_months(current_month(), -1)
    await add(services.sessionmaker, tenant_id, HealthScore(
        tenant_id=tenant_id, month=closed, score=70, band="GREEN", components=[], inputs={}, formula_version=2))

    await post(client, integration, payloads.halopsa_asset(secret))
    await process_all(services, tenant_id)

    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        marks = list(await session.scalars(select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant_id)))
    assert marks == [closed]


async def test_an_asset_delivery_for_another_tenants_integration_is_not_theirs(services, client, client_tenant, world):
    """Deliveries land in the integration's own tenant; another tenant's scope sees none of them."""
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    other = await world.tenant(await world.practice())
    await post(client, integration, payloads.halopsa_asset(secret))
    await process_all(services, client_tenant.tenant.id)

    async with tenant_session(services.sessionmaker, [other.id]) as session:
        assert list(await session.scalars(select(Asset.id))) == []
    assert len(await assets(services, client_tenant.tenant.id)) == 1
    assert await process_all(services, other.id) == []
