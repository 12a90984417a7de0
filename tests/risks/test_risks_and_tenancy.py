"""Risks through the API, and the lines between tenants, practices and roles."""

import asyncio

from sqlalchemy import text

from app.api import ids
from app.tenants.models import Role

CREATE = """mutation($i: CreateRiskInput!) { createRisk(input: $i) {
  risk { id version title score status } userErrors { field code message } } }"""
UPDATE = """mutation($i: UpdateRiskInput!) { updateRisk(input: $i) {
  risk { id version score status } userErrors { field code message } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Risk { title } ... on Tenant { name } } }"


async def setup(world, api):
    practice = await world.practice()
    a, b = await world.tenant(practice), await world.tenant(practice)
    cio = await world.user(practice, Role.CIO, [a])
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [a])
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    tokens = {
        "cio": await api.login(cio.email),
        "exec": await api.login(executive.email),
        "admin": await api.login(admin.email),
    }
    return practice, a, b, tokens


async def create_risk(api, token, tenant, **overrides):
    fields = {"tenantId": ids.encode("Tenant", tenant.id), "title": "  Backups untested ", "category": "CONTINUITY",
              "likelihood": 4, "impact": 5, **overrides}
    return (await api.data(CREATE, {"i": fields}, token))["createRisk"]


async def test_create_and_update_risk_with_validation_and_versions(api, world):
    _, a, _, tokens = await setup(world, api)
    created = await create_risk(api, tokens["cio"], a)
    assert created["userErrors"] == [] and created["risk"]["title"] == "Backups untested"
    assert created["risk"]["score"] == 20 and created["risk"]["version"] == 1
    bad = await create_risk(api, tokens["cio"], a, likelihood=6)
    assert bad["risk"] is None and bad["userErrors"][0]["code"] == "INVALID" and bad["userErrors"][0]["field"] == ["likelihood"]
    risk_id = created["risk"]["id"]
    updated = (await api.data(UPDATE, {"i": {"id": risk_id, "expectedVersion": 1, "impact": 2, "status": "MITIGATING"}}, tokens["cio"]))["updateRisk"]
    assert updated["risk"]["score"] == 8 and updated["risk"]["version"] == 2
    stale = (await api.data(UPDATE, {"i": {"id": risk_id, "expectedVersion": 1, "impact": 3}}, tokens["cio"]))["updateRisk"]
    assert stale["userErrors"][0]["code"] == "CONFLICT"
    events = (await api.data(
        "query($t: ID!) { auditEvents(tenantId: $t) { totalCount edges { node { action before after } } } }",
        {"t": ids.encode("Tenant", a.id)}, tokens["admin"],
    ))["auditEvents"]
    actions = [e["node"]["action"] for e in events["edges"]]
    assert actions.count("risk.update") == 1 and actions.count("risk.create") == 1


async def test_twenty_concurrent_updates_with_one_version_one_wins(api, world, asgi_app):
    import httpx

    _, a, _, tokens = await setup(world, api)
    risk_id = (await create_risk(api, tokens["cio"], a))["risk"]["id"]

    async def attempt(n):
        transport = httpx.ASGITransport(app=asgi_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            r = await http.post("/graphql", json={"query": UPDATE, "variables": {"i": {"id": risk_id, "expectedVersion": 1, "mitigation": f"plan {n}"}}},
                                headers={"Authorization": f"Bearer {tokens['cio']}"})
            return r.json()["data"]["updateRisk"]

    results = await asyncio.gather(*(attempt(n) for n in range(20)))
    assert sum(1 for r in results if not r["userErrors"]) == 1
    assert all(r["userErrors"][0]["code"] == "CONFLICT" for r in results if r["userErrors"])


async def test_another_tenants_risk_does_not_exist_for_the_caller(api, world, owner_engine):
    _, a, b, tokens = await setup(world, api)
    theirs = (await create_risk(api, tokens["admin"], b))["risk"]["id"]
    # The CIO is granted only A: B's risk and B itself are "not found", and nothing changes.
    assert (await api.data(NODE, {"id": theirs}, tokens["cio"]))["node"] is None
    assert (await api.data(NODE, {"id": ids.encode("Tenant", b.id)}, tokens["cio"]))["node"] is None
    assert (await api.data("query($id: ID!) { tenant(id: $id) { name } }", {"id": ids.encode("Tenant", b.id)}, tokens["cio"]))["tenant"] is None
    result = (await api.data(UPDATE, {"i": {"id": theirs, "title": "pwned", "impact": 1}}, tokens["cio"]))["updateRisk"]
    assert result == {"risk": None, "userErrors": [{"field": ["id"], "code": "NOT_FOUND", "message": "Risk not found."}]}
    created = await create_risk(api, tokens["cio"], b)
    assert created["userErrors"][0]["code"] == "NOT_FOUND"
    deleted = (await api.data("mutation($i: DeleteInput!) { deleteRisk(input: $i) { deletedId userErrors { code } } }",
                              {"i": {"id": theirs}}, tokens["cio"]))["deleteRisk"]
    assert deleted["userErrors"][0]["code"] == "NOT_FOUND"
    # A risk id of the right shape but naming the CIO's own tenant with B's object id: still nothing.
    forged = ids.encode("Risk", ids.decode(theirs).id, a.id)
    assert (await api.data(NODE, {"id": forged}, tokens["cio"]))["node"] is None
    async with owner_engine.connect() as conn:
        rows = (await conn.execute(text("select title, impact from risks where tenant_id = :b"), {"b": b.id})).all()
    assert [tuple(r) for r in rows] == [("Backups untested", 5)]


async def test_another_practice_is_invisible_even_to_its_admin(api, world):
    _, a, _, tokens = await setup(world, api)
    other_practice = await world.practice()
    stranger = await world.user(other_practice, Role.PRACTICE_ADMIN)
    stranger_token = await api.login(stranger.email)
    mine = (await create_risk(api, tokens["admin"], a))["risk"]["id"]
    assert (await api.data(NODE, {"id": mine}, stranger_token))["node"] is None
    seen = (await api.data("{ tenants { totalCount } }", token=stranger_token))["tenants"]
    assert seen["totalCount"] == 0
    created = await create_risk(api, stranger_token, a)
    assert created["userErrors"][0]["code"] == "NOT_FOUND"


async def test_client_executive_reads_only_and_has_no_portfolio(api, world):
    _, a, b, tokens = await setup(world, api)
    await create_risk(api, tokens["cio"], a)
    seen = (await api.data("{ tenants { edges { node { name risks(first: 5) { totalCount } } } } }", token=tokens["exec"]))
    assert [e["node"]["name"] for e in seen["tenants"]["edges"]] == [a.name]
    assert seen["tenants"]["edges"][0]["node"]["risks"]["totalCount"] == 1
    body = await api.post(CREATE, {"i": {"tenantId": ids.encode("Tenant", a.id), "title": "x", "category": "SECURITY", "likelihood": 1, "impact": 1}}, tokens["exec"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.post("{ portfolio { tenantCount } }", token=tokens["exec"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_cursor_of_one_tenant_is_useless_on_another(api, world):
    _, a, b, tokens = await setup(world, api)
    for _ in range(3):
        await create_risk(api, tokens["admin"], a)
        await create_risk(api, tokens["admin"], b)
    q = "query($t: ID!, $after: String) { tenant(id: $t) { risks(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } } }"
    page = (await api.data(q, {"t": ids.encode("Tenant", a.id)}, tokens["admin"]))["tenant"]["risks"]
    assert page["pageInfo"]["hasNextPage"]
    on_b = (await api.data(q, {"t": ids.encode("Tenant", b.id), "after": page["pageInfo"]["endCursor"]}, tokens["admin"]))["tenant"]["risks"]
    assert on_b["edges"] == []
    on_a = (await api.data(q, {"t": ids.encode("Tenant", a.id), "after": page["pageInfo"]["endCursor"]}, tokens["admin"]))["tenant"]["risks"]
    assert len(on_a["edges"]) == 1


async def test_first_is_capped(api, world):
    _, a, _, tokens = await setup(world, api)
    body = await api.post("query($t: ID!) { tenant(id: $t) { risks(first: 1000000000) { totalCount } } }", {"t": ids.encode("Tenant", a.id)}, tokens["admin"])
    assert body["errors"][0]["extensions"]["code"] == "INVALID" and "200" in body["errors"][0]["message"]
