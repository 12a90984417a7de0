"""The API on a cluster: GraphQL reads and writes through the coordinator, under row security.

The compiled statements are not shaped for Citus's planner yet (one crashes Citus 13.2's: see
infra/README.md), so on a coordinator the executor answers every read: these check that it
does, that what it reads and writes is right, and that a tenant's data stays its own there too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.api import ids
from app.tenants.models import Role
from tests.api.compiled_pair import is_compiled

pytestmark = pytest.mark.asyncio(loop_scope="session")

DASHBOARD = (Path(__file__).resolve().parents[2] / "graphql" / "operations" / "tenant_dashboard.graphql").read_text()
CREATE_RISK = "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id title } userErrors { code } } }"


async def test_the_dashboard_is_answered_by_the_executor_with_what_was_written(api, world, count_statements):
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
    assert not any(map(is_compiled, log.statements))
    # Another tenant's executive asking for it by id: nothing, as for a tenant that does not exist.
    assert (await api.data(DASHBOARD, variables, await api.login(executive.email)))["tenant"] is None
