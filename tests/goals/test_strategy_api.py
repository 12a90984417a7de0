"""The strategy profile through GraphQL: empty until set, changed only where given, validated,
its history in the audit, and writable by neither client executives nor other tenants' staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.goals.models import StrategyProfile
from tests.apitools import Scene, error_codes, user_error_codes

FIELDS = "itMaturity buildVsBuy cloudStrategy preferredPlatforms endorsedStack regulatoryConstraints itCapacityNote"
SET = f"mutation($input: SetStrategyProfileInput!) {{ setStrategyProfile(input: $input) {{ strategy {{ {FIELDS} updatedAt }} userErrors {{ field code message }} }} }}"
READ = f"query($id: ID!) {{ tenant(id: $id) {{ strategy {{ {FIELDS} updatedAt }} }} }}"
EMPTY = {"itMaturity": None, "buildVsBuy": None, "cloudStrategy": None, "preferredPlatforms": [], "endorsedStack": [],
         "regulatoryConstraints": [], "itCapacityNote": None, "updatedAt": None}


async def profile_rows(api, tenant) -> list:
    return await api.rows([tenant.id], select(StrategyProfile.it_maturity, StrategyProfile.endorsed_stack)
                          .where(StrategyProfile.tenant_id == tenant.id))


async def test_a_client_without_a_profile_reads_the_empty_one(api, scene: Scene):
    assert (await api.data(scene.cio, READ, {"id": scene.gid(scene.tenant)}))["tenant"]["strategy"] == EMPTY


async def test_set_changes_only_the_fields_given_and_null_clears(api, scene: Scene):
    tenant = scene.gid(scene.tenant)
    first = await api.mutate(scene.cio, SET, {
        "tenantId": tenant, "itMaturity": 2, "buildVsBuy": "BUY", "cloudStrategy": "CLOUD_FIRST",
        "preferredPlatforms": [" Microsoft 365 ", "Azure"], "endorsedStack": ["Intune", "1Password"],
        "regulatoryConstraints": ["GDPR"], "itCapacityNote": "An office manager, part time.",
    })
    assert first["userErrors"] == [] and first["strategy"]["updatedAt"] is not None
    assert first["strategy"] | {"updatedAt": None} == {
        "itMaturity": 2, "buildVsBuy": "BUY", "cloudStrategy": "CLOUD_FIRST", "preferredPlatforms": ["Microsoft 365", "Azure"],
        "endorsedStack": ["Intune", "1Password"], "regulatoryConstraints": ["GDPR"],
        "itCapacityNote": "An office manager, part time.", "updatedAt": None,
    }

    second = await api.mutate(scene.cio, SET, {"tenantId": tenant, "itMaturity": 3, "regulatoryConstraints": None,
                                               "itCapacityNote": None})
    expected = first["strategy"] | {"itMaturity": 3, "regulatoryConstraints": [], "itCapacityNote": None}
    assert second["userErrors"] == []
    assert second["strategy"] | {"updatedAt": None} == expected | {"updatedAt": None}
    read = (await api.data(scene.executive, READ, {"id": tenant}))["tenant"]["strategy"]
    assert read == second["strategy"]
    assert await profile_rows(api, scene.other) == []  # the sibling tenant has none


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"itMaturity": 0}, ["itMaturity"]),
        ({"itMaturity": 6}, ["itMaturity"]),
        ({"endorsedStack": ["Intune", "  "]}, ["endorsedStack", "1"]),
        ({"preferredPlatforms": ["x" * 201]}, ["preferredPlatforms", "0"]),
        ({"itCapacityNote": "n" * 5001}, ["itCapacityNote"]),
    ],
)
async def test_invalid_fields_are_user_errors_and_the_profile_is_unchanged(api, scene: Scene, change, field):
    tenant = scene.gid(scene.tenant)
    await api.mutate(scene.cio, SET, {"tenantId": tenant, "itMaturity": 4, "endorsedStack": ["Okta"]})

    payload = await api.mutate(scene.cio, SET, {"tenantId": tenant} | change)

    assert payload["strategy"] is None
    assert user_error_codes(payload) == [("INVALID", field)]
    assert await profile_rows(api, scene.tenant) == [(4, ["Okta"])]


async def test_a_list_is_bounded(api, scene: Scene):
    payload = await api.mutate(scene.cio, SET, {"tenantId": scene.gid(scene.tenant), "endorsedStack": [f"T{i}" for i in range(51)]})
    assert user_error_codes(payload) == [("LIMIT", ["endorsedStack"])]
    assert await profile_rows(api, scene.tenant) == []


async def test_every_call_is_one_audit_event_with_the_profile_before_and_after(api, scene: Scene):
    tenant = scene.gid(scene.tenant)
    await api.mutate(scene.cio, SET, {"tenantId": tenant, "itMaturity": 2})
    await api.mutate(scene.cio, SET, {"tenantId": tenant, "itMaturity": 4, "cloudStrategy": "HYBRID"})

    events = await api.rows([scene.tenant.id], select(AuditEvent.action, AuditEvent.before, AuditEvent.after).where(
        AuditEvent.tenant_id == scene.tenant.id, AuditEvent.object_type == "StrategyProfile").order_by(AuditEvent.id))
    assert [e.action for e in events] == ["strategy_profile.create", "strategy_profile.update"]
    assert events[0].before is None and events[0].after["it_maturity"] == 2
    assert (events[1].before["it_maturity"], events[1].before["cloud_strategy"]) == (2, None)
    assert (events[1].after["it_maturity"], events[1].after["cloud_strategy"]) == (4, "HYBRID")


async def test_a_client_executive_reads_the_profile_but_cannot_set_it(api, scene: Scene):
    body = await api.run(scene.executive, SET, {"input": {"tenantId": scene.gid(scene.tenant), "itMaturity": 5}})
    assert error_codes(body) == ["FORBIDDEN"]
    assert await profile_rows(api, scene.tenant) == []
    assert (await api.data(scene.executive, READ, {"id": scene.gid(scene.tenant)}))["tenant"]["strategy"] == EMPTY


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_another_tenants_profile_cannot_be_read_or_set(api, scene: Scene, which):
    tenant = getattr(scene, which)
    payload = await api.mutate(scene.cio, SET, {"tenantId": scene.gid(tenant), "itMaturity": 1})
    assert user_error_codes(payload) == [("NOT_FOUND", ["tenantId"])]
    assert (await api.data(scene.cio, READ, {"id": scene.gid(tenant)}))["tenant"] is None
    assert await profile_rows(api, tenant) == []
