"""Policies through GraphQL: one per kind (MISSING where none), set, review dates, delete, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.policies import actions
from app.policies.models import Policy, PolicyKind, PolicyStatus
from tests.apitools import Scene, error_codes, user_error_codes

FIELDS = "kind status approvedOn reviewIntervalMonths reviewDue version"
SET = f"mutation($input: SetPolicyInput!) {{ setPolicy(input: $input) {{ policy {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
DELETE = f"mutation($input: DeletePolicyInput!) {{ deletePolicy(input: $input) {{ policy {{ {FIELDS} }} userErrors {{ field code }} }} }}"
LIST = f"query($id: ID!) {{ tenant(id: $id) {{ policies {{ {FIELDS} }} }} }}"


async def policy_rows(api, tenant) -> list:
    return await api.rows(
        [tenant.id], select(Policy.kind, Policy.status, Policy.version).where(Policy.tenant_id == tenant.id)
    )


@pytest.mark.parametrize(
    ("approved", "months", "due"),
    [(dt.date(2025, 3, 15), 12, dt.date(2026, 3, 15)), (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28))],
)
def test_review_due_adds_months_like_postgresql(approved, months, due):
    assert actions.review_due(approved, months) == due


async def test_every_kind_is_listed_missing_where_nothing_is_recorded(api, scene: Scene):
    await api.act(
        scene.tenant, actions.set_policy, kind=PolicyKind.BACKUP_AND_RECOVERY, status=PolicyStatus.APPROVED,
        approved_on=dt.date(2026, 1, 31), review_interval_months=13,
    )

    policies = (await api.data(scene.executive, LIST, {"id": scene.gid(scene.tenant)}))["tenant"]["policies"]

    assert [p["kind"] for p in policies] == [k.value for k in PolicyKind]
    by_kind = {p["kind"]: p for p in policies}
    assert by_kind["BACKUP_AND_RECOVERY"] == {
        "kind": "BACKUP_AND_RECOVERY", "status": "APPROVED", "approvedOn": "2026-01-31",
        "reviewIntervalMonths": 13, "reviewDue": "2027-02-28", "version": 1,
    }
    assert by_kind["REMOTE_ACCESS"] == {
        "kind": "REMOTE_ACCESS", "status": "MISSING", "approvedOn": None, "reviewIntervalMonths": 12,
        "reviewDue": None, "version": 0,
    }


async def test_set_creates_then_updates_the_kind(api, scene: Scene):
    base = {"tenantId": scene.gid(scene.tenant), "kind": "INCIDENT_RESPONSE"}

    draft = await api.mutate(scene.cio, SET, base | {"status": "DRAFT", "expectedVersion": 0})
    assert draft["userErrors"] == []
    assert draft["policy"] == {
        "kind": "INCIDENT_RESPONSE", "status": "DRAFT", "approvedOn": None, "reviewIntervalMonths": 12,
        "reviewDue": None, "version": 1,
    }
    approved = await api.mutate(
        scene.cio, SET, base | {"status": "APPROVED", "approvedOn": "2026-10-01", "reviewIntervalMonths": 6, "expectedVersion": 1}
    )
    assert approved["userErrors"] == []
    assert approved["policy"]["reviewDue"] == "2027-04-01"
    assert approved["policy"]["version"] == 2
    assert await policy_rows(api, scene.tenant) == [(PolicyKind.INCIDENT_RESPONSE, PolicyStatus.APPROVED, 2)]


async def test_policy_changes_are_audited_as_policy(api, scene: Scene):
    base = {"tenantId": scene.gid(scene.tenant), "kind": "INCIDENT_RESPONSE"}
    await api.mutate(scene.cio, SET, base | {"status": "DRAFT"})
    await api.mutate(scene.cio, SET, base | {"status": "APPROVED", "approvedOn": "2026-10-01"})
    await api.mutate(scene.cio, DELETE, base)

    assert (await api.audit_actions(scene.tenant))[-3:] == ["policy.create", "policy.update", "policy.delete"]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"status": "APPROVED"}, "INVALID", "approvedOn"),
        ({"status": "DRAFT", "reviewIntervalMonths": 0}, "INVALID", "reviewIntervalMonths"),
        ({"status": "DRAFT", "reviewIntervalMonths": 61}, "INVALID", "reviewIntervalMonths"),
        ({"status": "MISSING"}, "INVALID", "status"),
        ({"status": "APPROVED", "approvedOn": "2999-01-01"}, "INVALID", "approvedOn"),
        ({"status": "DRAFT", "expectedVersion": 3}, "CONFLICT", "expectedVersion"),
    ],
)
async def test_refused_changes_leave_the_policy_as_it_was(api, scene: Scene, change, code, field):
    await api.act(scene.tenant, actions.set_policy, kind=PolicyKind.REMOTE_ACCESS, status=PolicyStatus.DRAFT)

    payload = await api.mutate(scene.cio, SET, {"tenantId": scene.gid(scene.tenant), "kind": "REMOTE_ACCESS"} | change)

    assert payload["policy"] is None
    assert user_error_codes(payload) == [(code, [field])]
    assert await policy_rows(api, scene.tenant) == [(PolicyKind.REMOTE_ACCESS, PolicyStatus.DRAFT, 1)]


async def test_a_stale_version_conflicts_when_the_kind_was_created_meanwhile(api, scene: Scene):
    await api.act(scene.tenant, actions.set_policy, kind=PolicyKind.REMOTE_ACCESS, status=PolicyStatus.DRAFT)

    payload = await api.mutate(
        scene.cio, SET, {"tenantId": scene.gid(scene.tenant), "kind": "REMOTE_ACCESS", "status": "DRAFT", "expectedVersion": 0}
    )

    assert user_error_codes(payload) == [("CONFLICT", ["expectedVersion"])]


async def test_delete_makes_the_kind_missing_again(api, scene: Scene):
    await api.act(scene.tenant, actions.set_policy, kind=PolicyKind.VENDOR_MANAGEMENT, status=PolicyStatus.DRAFT)
    input = {"tenantId": scene.gid(scene.tenant), "kind": "VENDOR_MANAGEMENT"}

    payload = await api.mutate(scene.cio, DELETE, input)

    assert payload["userErrors"] == []
    assert payload["policy"]["status"] == "MISSING"
    assert await policy_rows(api, scene.tenant) == []
    again = await api.mutate(scene.cio, DELETE, input)
    assert user_error_codes(again) == [("NOT_FOUND", ["kind"])]


async def test_a_client_executive_cannot_write(api, scene: Scene):
    await api.act(scene.tenant, actions.set_policy, kind=PolicyKind.REMOTE_ACCESS, status=PolicyStatus.DRAFT)
    base = {"tenantId": scene.gid(scene.tenant), "kind": "REMOTE_ACCESS"}

    for query, input in [(SET, base | {"status": "APPROVED", "approvedOn": "2026-01-01"}), (DELETE, base)]:
        assert error_codes(await api.run(scene.executive, query, {"input": input})) == ["FORBIDDEN"]
    assert await policy_rows(api, scene.tenant) == [(PolicyKind.REMOTE_ACCESS, PolicyStatus.DRAFT, 1)]


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_another_tenants_policies_do_not_exist_for_the_cio(api, scene: Scene, which):
    tenant = getattr(scene, which)
    await api.act(tenant, actions.set_policy, kind=PolicyKind.REMOTE_ACCESS, status=PolicyStatus.DRAFT)
    base = {"tenantId": scene.gid(tenant), "kind": "REMOTE_ACCESS"}

    assert (await api.data(scene.cio, LIST, {"id": scene.gid(tenant)}))["tenant"] is None
    for query, input in [(SET, base | {"status": "APPROVED", "approvedOn": "2026-01-01"}), (DELETE, base)]:
        assert user_error_codes(await api.mutate(scene.cio, query, input)) == [("NOT_FOUND", ["tenantId"])]
    assert await policy_rows(api, tenant) == [(PolicyKind.REMOTE_ACCESS, PolicyStatus.DRAFT, 1)]
