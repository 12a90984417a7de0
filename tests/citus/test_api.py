"""The API on a cluster: GraphQL reads and writes through the coordinator, under row security.

A read of one tenant (`tenant(id:)`, the dashboard, the report) is one compiled statement there
too, each of its subqueries naming the tenant, which Citus sends whole to the tenant's worker;
every other read (a list of tenants, the portfolio, top risks) is answered by the executor, whose
statements each name their tenants (app/api/compiled/compiler.py `Compiler.routed`). These check
both, that what they read and write is right, and that a tenant's data stays its own there too.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from app.api import ids
from app.db.scope import tenant_session
from app.tenants.models import Role
from tests.api.compiled_pair import is_compiled

pytestmark = pytest.mark.asyncio(loop_scope="session")

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
DASHBOARD = (OPERATIONS / "tenant_dashboard.graphql").read_text()
CREATE_RISK = "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id title } userErrors { code } } }"
TENANT_PAGE = "query { tenants(first: 20) { edges { node { name risks(first: 5) { nodes { title } } } } } }"


async def test_the_dashboard_is_one_statement_sent_whole_to_its_tenants_worker(api, world, count_statements, sessionmaker):
    practice = await world.practice()
    tenant, other = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    cio = await world.user(practice, Role.CIO, tenants=[tenant, other])
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, tenants=[other])
    token = await api.login(cio.email)
    for target, title in ((tenant, "Backups untested"), (other, "Beta's own")):
        data = await api.data(CREATE_RISK, {"i": {"tenantId": ids.encode("Tenant", target.id), "title": title,
                                                  "category": "SECURITY", "likelihood": 5, "impact": 4}}, token)
        assert data["createRisk"]["userErrors"] == []
    variables = {"id": ids.encode("Tenant", tenant.id), "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}
    with count_statements() as log:
        data = await api.data(DASHBOARD, variables, token)
    assert data["tenant"]["name"] == "Alpha"
    assert [e["node"]["title"] for e in data["tenant"]["risks"]["edges"]] == ["Backups untested"]
    statement, parameters = next((s, p) for s, p in log.sent if is_compiled(s))
    async with tenant_session(sessionmaker, [tenant.id, other.id]) as s:
        plan = "\n".join(r[0] for r in (await (await s.connection()).exec_driver_sql(
            "EXPLAIN " + statement, parameters)).all())
    assert re.findall(r"Task Count: (\d+)", plan) == ["1"] and "Subplan" not in plan, plan
    # Another tenant's executive asking for it by id: nothing, as for a tenant that does not exist.
    assert (await api.data(DASHBOARD, variables, await api.login(executive.email)))["tenant"] is None


async def test_a_list_of_tenants_is_answered_by_the_executor(api, world, count_statements):
    """Its rows are on every worker: the executor's statements name the tenants of each batch."""
    practice = await world.practice()
    tenant, _ = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta (not granted)")
    cio = await world.user(practice, Role.CIO, tenants=[tenant])
    token = await api.login(cio.email)
    await api.data(CREATE_RISK, {"i": {"tenantId": ids.encode("Tenant", tenant.id), "title": "Alpha's own",
                                       "category": "SECURITY", "likelihood": 5, "impact": 4}}, token)
    with count_statements() as log:
        data = await api.data(TENANT_PAGE, {}, token)
    assert data == {"tenants": {"edges": [{"node": {"name": "Alpha", "risks": {"nodes": [{"title": "Alpha's own"}]}}}]}}
    assert not any(map(is_compiled, log.statements))


async def test_a_tenants_stored_answer_lasts_until_that_tenant_changes(api, world, count_statements):
    """Stored answers on the cluster (app/api/compiled/answers.py): the counters they are kept by are
    written at commit on every node, so a write to the tenant is the next read's news and a write to
    another tenant leaves the answer stored."""
    practice = await world.practice()
    tenant, other = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    token = await api.login((await world.user(practice, Role.CIO, tenants=[tenant, other])).email)

    async def add_risk(target, title: str) -> None:
        data = await api.data(CREATE_RISK, {"i": {"tenantId": ids.encode("Tenant", target.id), "title": title,
                                                  "category": "SECURITY", "likelihood": 5, "impact": 4}}, token)
        assert data["createRisk"]["userErrors"] == []

    async def read() -> tuple[int, list[str]]:
        variables = {"id": ids.encode("Tenant", tenant.id), "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}
        with count_statements() as log:
            data = await api.data(DASHBOARD, variables, token)
        return sum(map(is_compiled, log.statements)), [e["node"]["title"] for e in data["tenant"]["risks"]["edges"]]

    await add_risk(tenant, "Backups untested")
    assert await read() == (1, ["Backups untested"])
    assert await read() == (0, ["Backups untested"]), "stored"
    await add_risk(other, "Beta's own")
    assert await read() == (0, ["Backups untested"]), "another tenant's write"
    await add_risk(tenant, "No MFA")
    assert await read() == (1, ["Backups untested", "No MFA"]), "the tenant's own write"
    assert await read() == (0, ["Backups untested", "No MFA"])


SCHEDULE = ("mutation($i: ScheduleSteeringMeetingInput!) { scheduleSteeringMeeting(input: $i) { steeringMeeting { id } "
            "userErrors { message } } }")
MEETING_AGENDA = """query($id: ID!) { tenant(id: $id) { name steeringMeetings { scheduledAt suggestedAgenda { kind summary } } } }"""


async def test_a_meetings_suggested_agenda_is_compiled_and_sent_whole_to_its_tenants_worker(api, world, count_statements,
                                                                                          sessionmaker):
    """Every candidate of the agenda (goals, initiatives, risks, findings) names the tenant, so Citus
    routes the meeting's agenda with the rest of the tenant's read."""
    practice = await world.practice()
    tenant, other = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    token = await api.login((await world.user(practice, Role.CIO, tenants=[tenant, other])).email)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).replace(microsecond=0)
    for target, title in ((tenant, "Backups untested"), (other, "Beta's own")):
        gid = ids.encode("Tenant", target.id)
        data = await api.data(CREATE_RISK, {"i": {"tenantId": gid, "title": title, "category": "SECURITY", "likelihood": 5,
                                                  "impact": 4, "reviewDue": (soon - dt.timedelta(days=30)).date().isoformat()}},
                              token)
        assert data["createRisk"]["userErrors"] == []
        data = await api.data(SCHEDULE, {"i": {"tenantId": gid, "scheduledAt": soon.isoformat()}}, token)
        assert data["scheduleSteeringMeeting"]["userErrors"] == []
    with count_statements() as log:
        data = await api.data(MEETING_AGENDA, {"id": ids.encode("Tenant", tenant.id)}, token)
    [meeting] = data["tenant"]["steeringMeetings"]
    assert [i["kind"] for i in meeting["suggestedAgenda"]] == ["RISK_REVIEW_DUE"]
    assert "Backups untested" in meeting["suggestedAgenda"][0]["summary"]  # its own risk, not Beta's
    statement, parameters = next((s, p) for s, p in log.sent if is_compiled(s))
    async with tenant_session(sessionmaker, [tenant.id, other.id]) as s:
        plan = "\n".join(r[0] for r in (await (await s.connection()).exec_driver_sql(
            "EXPLAIN " + statement, parameters)).all())
    assert re.findall(r"Task Count: (\d+)", plan) == ["1"] and "Subplan" not in plan, plan
