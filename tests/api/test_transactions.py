"""A request is one transaction; each mutation field's action is all or nothing within it.

Several mutation fields: each action runs in a savepoint, so a failed one leaves the others'
writes. One field (nearly every request): its action runs without one, and when it fails the
whole transaction rolls back instead of committing (two round trips fewer per write).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from app.api import ids
from app.audit.models import AuditEvent
from app.tenants.models import Grant, Role
from tests.statements import recording

CREATE_RISK = """mutation($input: CreateRiskInput!) { createRisk(input: $input) { risk { title } userErrors { code } } }"""
TWO_RISKS = """mutation($a: CreateRiskInput!, $b: CreateRiskInput!) {
  a: createRisk(input: $a) { risk { title } userErrors { code } }
  b: createRisk(input: $b) { risk { title } userErrors { code field } } }"""
GRANT = "mutation($i: TenantAccessInput!) { grantTenantAccess(input: $i) { user { id } userErrors { code message } } }"


def risk(tenant, title: str, likelihood: int = 2) -> dict:
    return {"tenantId": ids.encode("Tenant", tenant.id), "title": title, "category": "OPERATIONAL",
            "likelihood": likelihood, "impact": 3}


async def titles(world, tenant) -> set[str]:
    async with world.scope([tenant.id]) as session:
        return set(await session.scalars(select(AuditEvent.after["title"].astext).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "risk.create")))


async def test_one_mutation_field_runs_without_a_savepoint_and_commits(api, world, services):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    cio = await world.user(practice, Role.CIO, tenants=[tenant])
    with recording(services.engine) as log:
        created = await api.mutate(cio, CREATE_RISK, risk(tenant, "Backups untested"))
    assert created == {"risk": {"title": "Backups untested"}, "userErrors": []}
    assert not [s for s in log.statements if "SAVEPOINT" in s], log.report()
    assert await titles(world, tenant) == {"Backups untested"}


async def test_with_two_mutation_fields_a_failed_one_leaves_the_other(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    cio = await world.user(practice, Role.CIO, tenants=[tenant])
    answer = await api.run(cio, TWO_RISKS, {"a": risk(tenant, "Kept"), "b": risk(tenant, "Refused", likelihood=9)})
    assert answer["data"]["a"]["risk"] == {"title": "Kept"}
    assert answer["data"]["b"]["risk"] is None and answer["data"]["b"]["userErrors"][0]["code"] == "INVALID"
    assert await titles(world, tenant) == {"Kept"}


async def test_one_mutation_field_that_fails_after_writing_rolls_the_request_back(api, world, services):
    """The action writes, then a concurrent grant wins the key (IntegrityError): the answer is a
    CONFLICT user error, nothing of the action stays, and the connection serves the next request."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    cio = await world.user(practice, Role.CIO)
    variables = {"i": {"userId": ids.encode("User", cio.id), "tenantId": ids.encode("Tenant", tenant.id)}}
    async with world.scope([tenant.id]) as concurrent:
        concurrent.add(Grant(user_id=cio.id, tenant_id=tenant.id))
        await concurrent.flush()
        request = asyncio.create_task(api.run(admin, GRANT, variables))
        await asyncio.sleep(1)  # the request's insert now waits for this transaction's key
        assert not request.done()
    answer = await request

    assert answer["data"]["grantTenantAccess"]["userErrors"][0]["code"] == "CONFLICT", answer
    async with world.scope([tenant.id]) as session:
        audited = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "grant.create"))
    assert audited == 0
    again = await api.run(admin, GRANT, variables)
    assert again["data"]["grantTenantAccess"]["userErrors"] == []
