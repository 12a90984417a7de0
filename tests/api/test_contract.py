"""The contract's operations through HTTP: tenants, users, tickets, health, integrations; and the role matrix."""

import datetime as dt

import pytest

from app.api import ids
from app.tenants.models import Role
from tests.apitools import PASSWORD


async def people(world, api):
    practice = await world.practice()
    a, b = await world.tenant(practice, employee_count=40), await world.tenant(practice)
    users = {
        "admin": await world.user(practice, Role.PRACTICE_ADMIN),
        "cio": await world.user(practice, Role.CIO, [a]),
        "exec": await world.user(practice, Role.CLIENT_EXECUTIVE, [a]),
    }
    tokens = {role: await api.login(u.email) for role, u in users.items()}
    admin_token = tokens["admin"]
    key = (await api.data(
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
        {"i": {"name": "sync", "tenantIds": [ids.encode("Tenant", a.id)]}}, admin_token,
    ))["createApiKey"]["key"]
    tokens["key"] = key
    return practice, a, b, users, tokens


def gid(tenant):
    return ids.encode("Tenant", tenant.id)


async def test_tenant_lifecycle_and_user_creation(api, world):
    _, a, _, users, tokens = await people(world, api)
    created = (await api.data(
        'mutation { createTenant(input: {name: "  Acme Dental  ", employeeCount: 25, industry: "Healthcare"}) '
        "{ tenant { id name slug employeeCount fiscalYearStartMonth currency version } userErrors { code field } } }",
        token=tokens["cio"],
    ))["createTenant"]
    assert created["userErrors"] == [] and created["tenant"]["name"] == "Acme Dental"
    assert created["tenant"]["slug"] == "acme-dental" and created["tenant"]["currency"] == "USD"
    # The CIO who created it can see it now.
    seen = (await api.data("{ tenants(search: \"acme\") { totalCount } }", token=tokens["cio"]))["tenants"]
    assert seen["totalCount"] == 1
    bad = (await api.data('mutation { createTenant(input: {name: "X", employeeCount: 0}) { tenant { id } userErrors { code field } } }',
                          token=tokens["admin"]))["createTenant"]
    assert bad["userErrors"] == [{"code": "INVALID", "field": ["employeeCount"]}]
    updated = (await api.data(
        "mutation($i: UpdateTenantInput!) { updateTenant(input: $i) { tenant { employeeCount version } userErrors { code } } }",
        {"i": {"id": created["tenant"]["id"], "expectedVersion": 1, "employeeCount": 30}}, tokens["cio"],
    ))["updateTenant"]
    assert updated["tenant"] == {"employeeCount": 30, "version": 2}
    user = (await api.data(
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { email role } userErrors { code field } } }",
        {"i": {"email": "New.Exec@Example.com", "name": "New Exec", "password": PASSWORD, "role": "CLIENT_EXECUTIVE",
               "tenantIds": [gid(a)]}}, tokens["admin"],
    ))["createUser"]
    assert user["user"] == {"email": "new.exec@example.com", "role": "CLIENT_EXECUTIVE"}
    again = (await api.data(
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { email } userErrors { code field } } }",
        {"i": {"email": "new.exec@example.com", "name": "X", "password": PASSWORD, "role": "CIO"}}, tokens["admin"],
    ))["createUser"]
    assert again["userErrors"][0]["code"] == "CONFLICT"


async def test_grant_and_revoke_tenant_access(api, world):
    _, a, b, users, tokens = await people(world, api)
    q = "mutation($i: TenantAccessInput!) { %s(input: $i) { tenant { name } userErrors { code } } }"
    access = {"userId": ids.encode("User", users["cio"].id), "tenantId": gid(b)}
    assert (await api.data(q % "grantTenantAccess", {"i": access}, tokens["admin"]))["grantTenantAccess"]["tenant"]["name"] == b.name
    cio = await api.login(users["cio"].email)
    assert (await api.data("{ tenants { totalCount } }", token=cio))["tenants"]["totalCount"] == 2
    assert (await api.data(q % "revokeTenantAccess", {"i": access}, tokens["admin"]))["revokeTenantAccess"]["userErrors"] == []
    assert (await api.data("{ tenants { totalCount } }", token=cio))["tenants"]["totalCount"] == 1


async def test_ticket_metrics_and_push(api, world):
    _, a, b, _, tokens = await people(world, api)
    recorded = (await api.data(
        "mutation($i: RecordTicketMetricsInput!) { recordTicketMetrics(input: $i) { ticketMonth { month support change alert total target } userErrors { code } } }",
        {"i": {"tenantId": gid(a), "month": "2026-09", "support": 10, "change": 4, "alert": 2}}, tokens["cio"],
    ))["recordTicketMetrics"]
    assert recorded["ticketMonth"] == {"month": "2026-09", "support": 10, "change": 4, "alert": 2, "total": 16, "target": 8}
    tickets = [
        {"externalId": "T-1", "category": "SUPPORT", "openedAt": "2026-09-03T10:00:00+00:00"},
        {"externalId": "T-2", "category": "ALERT", "openedAt": "2026-09-04T10:00:00+00:00", "closedAt": "2026-09-01T10:00:00+00:00"},
        {"externalId": "T-3", "category": "CHANGE", "openedAt": "2026-10-01T00:00:00+00:00"},
    ]
    push = "mutation($i: IngestTicketsInput!) { ingestTickets(input: $i) { accepted userErrors { field code } } }"
    result = (await api.data(push, {"i": {"tenantId": gid(a), "source": "script", "tickets": tickets}}, tokens["key"]))["ingestTickets"]
    assert result["accepted"] == 2 and result["userErrors"][0]["field"][:2] == ["tickets", "1"]
    months = (await api.data(
        "query($t: ID!) { tenant(id: $t) { ticketMetrics(from: \"2026-09\", to: \"2026-10\") { month total } } }",
        {"t": gid(a)}, tokens["exec"],
    ))["tenant"]["ticketMetrics"]
    # September has hand-entered figures: they are the month's figures, the pushed ticket does not add.
    assert months == [{"month": "2026-09", "total": 16}, {"month": "2026-10", "total": 1}]
    # The key is scoped to A: B does not exist for it, and nothing is stored there.
    other = (await api.data(push, {"i": {"tenantId": gid(b), "source": "script", "tickets": tickets[:1]}}, tokens["key"]))["ingestTickets"]
    assert other == {"accepted": 0, "userErrors": [{"field": ["tenantId"], "code": "NOT_FOUND"}]}


async def test_unknown_enum_values_list_the_allowed_ones(api, world):
    _, a, _, _, tokens = await people(world, api)
    body = await api.post(
        "query($t: ID!) { tenant(id: $t) { risks(status: [OPENED]) { totalCount } } }", {"t": gid(a)}, tokens["cio"]
    )
    assert "Allowed values: OPEN, MITIGATING, ACCEPTED, CLOSED" in body["errors"][0]["message"]


async def test_input_lists_are_capped(api, world):
    _, a, _, _, tokens = await people(world, api)
    response = await api.http.post("/graphql", json={
        "query": "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
        "variables": {"i": {"name": "x", "tenantIds": [gid(a)] * 1001}},
    }, headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "LIMIT"


async def test_health_weights_and_recompute_requests(api, world):
    _, a, _, _, tokens = await people(world, api)
    weights = {"tickets": 0.5, "risks": 0.1, "budget": 0.1, "plan": 0.1, "policies": 0.1, "steering": 0.1}
    q = ("mutation($i: SetHealthWeightsInput!) { setHealthWeights(input: $i) { "
         "weights { tickets alignment lifecycle } userErrors { code field } } }")
    eight = {**weights, "tickets": 0.3, "alignment": 0.1, "lifecycle": 0.1}
    assert (await api.data(q, {"i": eight}, tokens["admin"]))["setHealthWeights"]["weights"] == {
        "tickets": 0.3, "alignment": 0.1, "lifecycle": 0.1}
    # Version 1's six alone are carried over: scaled to 0.75, alignment 0.15 and lifecycle 0.10 added.
    assert (await api.data(q, {"i": weights}, tokens["admin"]))["setHealthWeights"]["weights"] == {
        "tickets": 0.375, "alignment": 0.15, "lifecycle": 0.1}
    for wrong in ({**weights, "tickets": 0.6}, {**weights, "alignment": 0.1}, {**eight, "lifecycle": 0.2}):
        bad = (await api.data(q, {"i": wrong}, tokens["admin"]))["setHealthWeights"]
        assert bad["weights"] is None and bad["userErrors"][0] == {"code": "INVALID", "field": ["weights"]}
    for role in ("cio", "exec"):
        body = await api.post(q, {"i": eight}, tokens[role])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    request = "mutation($i: RequestHealthRecomputeInput!) { requestHealthRecompute(input: $i) { jobId userErrors { code } } }"
    job = (await api.data(request, {"i": {"tenantId": gid(a), "month": "2026-10"}}, tokens["cio"]))["requestHealthRecompute"]
    assert job["userErrors"] == [] and job["jobId"]
    status = "query($id: String!) { healthRecomputeJob(id: $id) { status tenantCount } }"
    assert (await api.data(status, {"id": job["jobId"]}, tokens["cio"]))["healthRecomputeJob"]["status"] == "QUEUED"
    # Someone else's job does not exist for the caller.
    assert (await api.data(status, {"id": job["jobId"]}, tokens["admin"]))["healthRecomputeJob"] is None
    body = await api.post(request, {"i": {"tenantId": gid(a), "month": "2026-10"}}, tokens["exec"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_integrations_through_the_api(api, world):
    _, a, b, _, tokens = await people(world, api)
    create = "mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) { integration { id vendor enabled webhookUrl } secret userErrors { code } } }"
    made = (await api.data(create, {"i": {"tenantId": gid(a), "vendor": "HALOPSA"}}, tokens["cio"]))["createIntegration"]
    assert made["userErrors"] == [] and made["secret"] and made["integration"]["webhookUrl"].endswith("/webhook")
    listed = (await api.data("query($t: ID!) { integrations(tenantId: $t) { id deliveriesReceived } }", {"t": gid(a)}, tokens["cio"]))["integrations"]
    assert listed == [{"id": made["integration"]["id"], "deliveriesReceived": 0}]
    assert (await api.data(create, {"i": {"tenantId": gid(b), "vendor": "HALOPSA"}}, tokens["cio"]))["createIntegration"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": made["integration"]["id"]}, tokens["exec"]))["node"] is None
    disabled = (await api.data("mutation($i: IdInput!) { disableIntegration(input: $i) { integration { enabled } userErrors { code } } }",
                               {"i": {"id": made["integration"]["id"]}}, tokens["admin"]))["disableIntegration"]
    assert disabled["integration"]["enabled"] is False


# The role matrix of API.md ("Who may do what"): for each operation, who is allowed.
MATRIX = [
    ("portfolio", "{ portfolio { tenantCount } }", None, {"admin", "cio"}),
    ("createTenant", 'mutation { createTenant(input: {name: "M", employeeCount: 5}) { userErrors { code } } }', None, {"admin", "cio"}),
    ("createUser", "mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { code } } }",
     lambda a: {"i": {"email": f"m-{dt.datetime.now().timestamp()}@example.com", "name": "M", "password": PASSWORD, "role": "CIO"}}, {"admin"}),
    ("createApiKey", 'mutation { createApiKey(input: {name: "k"}) { userErrors { code } } }', None, {"admin"}),
    ("createRisk", "mutation($i: CreateRiskInput!) { createRisk(input: $i) { userErrors { code } } }",
     lambda a: {"i": {"tenantId": gid(a), "title": "r", "category": "VENDOR", "likelihood": 2, "impact": 2}}, {"admin", "cio"}),
    ("setPolicy", "mutation($i: SetPolicyInput!) { setPolicy(input: $i) { userErrors { code } } }",
     lambda a: {"i": {"tenantId": gid(a), "kind": "REMOTE_ACCESS", "status": "DRAFT"}}, {"admin", "cio"}),
    ("createVendor", "mutation($i: CreateVendorInput!) { createVendor(input: $i) { userErrors { code } } }",
     lambda a: {"i": {"tenantId": gid(a), "name": "V", "relationship": "PARTNER"}}, {"admin", "cio"}),
    ("ingestTickets", "mutation($i: IngestTicketsInput!) { ingestTickets(input: $i) { accepted userErrors { code } } }",
     lambda a: {"i": {"tenantId": gid(a), "source": "s", "tickets": [{"externalId": "1", "category": "SUPPORT", "openedAt": "2026-09-01T00:00:00Z"}]}},
     {"admin", "cio", "key"}),
    ("createIntegration", "mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) { userErrors { code } } }",
     lambda a: {"i": {"tenantId": gid(a), "vendor": "AUTOTASK"}}, {"admin", "cio"}),
    ("tenant read", "query($t: ID!) { tenant(id: $t) { name risks { totalCount } } }", lambda a: {"t": gid(a)}, {"admin", "cio", "exec", "key"}),
]


@pytest.mark.parametrize("name,query,variables,allowed", MATRIX, ids=[m[0] for m in MATRIX])
async def test_role_matrix(api, world, name, query, variables, allowed):
    _, a, _, _, tokens = await people(world, api)
    for role in ("admin", "cio", "exec", "key"):
        body = await api.post(query, variables(a) if variables else None, tokens[role])
        errors = [e["extensions"]["code"] for e in body.get("errors", [])]
        payload = next(iter((body.get("data") or {}).values()), None) if body.get("data") else None
        refused = bool(errors) or payload is None
        if role in allowed:
            # Allowed: it ran (a CONFLICT from an earlier role's identical write still means allowed).
            codes = {e["code"] for e in (payload or {}).get("userErrors", [])}
            assert not refused and codes <= {"CONFLICT"}, (name, role, body)
        else:
            assert refused and set(errors) <= {"FORBIDDEN", "UNAUTHENTICATED"}, (name, role, body)


async def test_api_keys_are_rate_limited(api, world, services):
    _, a, _, _, tokens = await people(world, api)
    limit = services.settings.api_key_requests_per_minute
    services.settings.api_key_requests_per_minute = 3
    try:
        statuses = []
        for _ in range(5):
            response = await api.http.post("/graphql", json={"query": "{ tenants { totalCount } }"},
                                           headers={"Authorization": f"Bearer {tokens['key']}"})
            statuses.append(response.status_code)
        assert statuses == [200, 200, 200, 429, 429]
        assert int(response.headers["retry-after"]) >= 1
        # People are not limited by a key's budget.
        assert (await api.data("{ tenants { totalCount } }", token=tokens["cio"]))["tenants"]["totalCount"] == 1
    finally:
        services.settings.api_key_requests_per_minute = limit
