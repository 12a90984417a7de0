"""The cast of the attacks: three practices, four tenants full of objects, every role and an API key.

Everything is built through the real GraphQL mutations as each practice's admin, so the objects
are exactly what a client would have made. Every object's text carries its tenant's `marker`, so
a response that leaks one is recognisable whatever its shape.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy import insert

from app.api import ids
from app.db.base import uuid7
from app.tenants.models import Role, Tenant
from tests.apitools import PASSWORD
from tests.conftest import World


class Gql:
    """`POST /graphql` over an httpx client; answers (status, JSON body)."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def post(self, query: str, variables: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        return response.status_code, response.json()

    async def data(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        status, body = await self.post(query, variables, token)
        assert status == 200 and not body.get("errors"), body
        return body["data"]

    async def mutate_raw(self, token: str, mutation: str, input: dict, selection: str) -> dict:
        """The payload of `mutation(input: ...)`, user errors and all."""
        input_type = mutation[0].upper() + mutation[1:] + "Input"
        data = await self.data(
            f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {selection} userErrors {{ code message }} }} }}",
            {"i": input}, token,
        )
        return data[mutation]

    async def mutate(self, token: str, mutation: str, input: dict, selection: str) -> dict:
        """The payload of a mutation that must succeed."""
        payload = await self.mutate_raw(token, mutation, input, selection)
        assert payload["userErrors"] == [], payload
        return payload

    async def login(self, email: str) -> str:
        payload = await self.mutate("", "login", {"email": email, "password": PASSWORD}, "accessToken")
        return payload["accessToken"]


@dataclass
class Holdings:
    """One tenant and the global ids of one object of every type in it."""

    tenant: object
    marker: str
    ids: dict[str, str] = field(default_factory=dict)
    halo_secret: str = ""

    @property
    def gid(self) -> str:
        return ids.encode("Tenant", self.tenant.id)


@dataclass
class Caller:
    name: str
    token: str
    home: Holdings  # a tenant the caller sees
    practice_id: uuid.UUID
    hidden: list[Holdings]  # tenants the caller must never reach
    hidden_users: list[str] = field(default_factory=list)  # global ids of another practice's users
    me: str = ""  # the caller's own user id (an API key: its admin's)


@dataclass
class Cast:
    a1: Holdings
    a2: Holdings
    b1: Holdings
    callers: list[Caller]
    users: dict[str, object]
    key_a_id: uuid.UUID

    @property
    def holdings(self) -> list[Holdings]:
        return [self.a1, self.a2, self.b1]


async def fill(gql: Gql, token: str, holdings: Holdings, library: bool = True) -> None:
    """One object of every type in the tenant, each carrying the tenant's marker.

    With `library` (the practice's first tenant), also a standard of the practice's own library.
    """
    t, m, found = holdings.gid, holdings.marker, holdings.ids
    found["Tenant"] = t
    found["Risk"] = (await gql.mutate(token, "createRisk", {
        "tenantId": t, "title": f"Risk {m}", "category": "SECURITY", "likelihood": 4, "impact": 5,
    }, "risk { id }"))["risk"]["id"]
    found["BusinessGoal"] = (await gql.mutate(token, "createGoal", {
        "tenantId": t, "title": f"Goal {m}", "fiscalYear": 2026, "kpi": f"KPI {m}", "baseline": 1, "target": 2,
    }, "goal { id }"))["goal"]["id"]
    found["Initiative"] = (await gql.mutate(token, "createInitiative", {
        "tenantId": t, "title": f"Initiative {m}", "targetMonth": "2026-03", "goalId": found["BusinessGoal"],
        "costEstimate": "1500.00", "recurringCostPerYear": "600.00", "hoursSavedPerMonth": 4, "revenueAtRisk": "20000",
    }, "initiative { id }"))["initiative"]["id"]
    await gql.mutate(token, "setStrategyProfile", {
        "tenantId": t, "itMaturity": 3, "cloudStrategy": "HYBRID", "endorsedStack": [f"Stack {m}"],
        "itCapacityNote": f"Capacity {m}",
    }, "strategy { itMaturity }")
    found["Vendor"] = (await gql.mutate(token, "createVendor", {
        "tenantId": t, "name": f"Vendor {m}", "relationship": "PARTNER", "annualCost": "1200.00",
    }, "vendor { id }"))["vendor"]["id"]
    found["BudgetLine"] = (await gql.mutate(token, "setBudgetLine", {
        "tenantId": t, "fiscalYear": 2026, "name": f"Line {m}", "kind": "OPEX", "category": "Licences",
        "planned": "5000.00", "vendorId": found["Vendor"], "initiativeId": found["Initiative"],
    }, "budgetLine { id }"))["budgetLine"]["id"]
    found["SteeringMeeting"] = (await gql.mutate(token, "scheduleSteeringMeeting", {
        "tenantId": t, "scheduledAt": "2026-02-10T15:00:00+00:00", "agenda": [f"Agenda {m}"],
    }, "steeringMeeting { id }"))["steeringMeeting"]["id"]
    found["Decision"] = (await gql.mutate(token, "acceptRisk", {
        "riskId": found["Risk"], "until": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=90)).isoformat(),
        "reason": f"Reason {m}", "meetingId": found["SteeringMeeting"],
    }, "decision { id }"))["decision"]["id"]
    await gql.mutate(token, "recordDecision", {
        "tenantId": t, "summary": f"Note {m}", "reason": f"Why {m}", "meetingId": found["SteeringMeeting"],
    }, "decision { id }")
    found["ActionItem"] = (await gql.mutate(token, "createActionItem", {
        "meetingId": found["SteeringMeeting"], "title": f"Action {m}",
    }, "actionItem { id }"))["actionItem"]["id"]
    found["Asset"] = (await gql.mutate(token, "createAsset", {
        "tenantId": t, "name": f"Asset {m}", "kind": "SERVER", "serialNumber": f"SN-{m}", "purchasedOn": "2022-02-01",
        "replacementCost": "9000.00",
    }, "asset { id }"))["asset"]["id"]
    integration = await gql.mutate(token, "createIntegration", {
        "tenantId": t, "vendor": "HALOPSA", "name": f"Halo {m}",
    }, "integration { id } secret")
    found["Integration"], holdings.halo_secret = integration["integration"]["id"], integration["secret"]
    await gql.mutate(token, "setPolicy", {
        "tenantId": t, "kind": "BACKUP_AND_RECOVERY", "status": "APPROVED", "approvedOn": "2026-01-05",
        "documentUrl": f"https://docs.example.com/{m}",
    }, "policy { kind }")
    await gql.mutate(token, "recordTicketMetrics", {
        "tenantId": t, "month": "2026-01", "support": 7, "change": 2, "alert": 1,
    }, "ticketMonth { total }")
    await fill_review(gql, token, holdings, library)


async def fill_review(gql: Gql, token: str, holdings: Holdings, library: bool) -> None:
    """A completed review whose finding an initiative closes, and a review in progress."""
    t, m, found = holdings.gid, holdings.marker, holdings.ids
    if library:
        found["Standard"] = (await gql.mutate(token, "createStandard", {
            "section": "Probes", "title": f"Standard {m}", "question": f"Is {m} aligned?", "whyItMatters": m,
            "priority": "HIGH",
        }, "standard { id }"))["standard"]["id"]
    built_in = (await gql.data("{ standards(first: 1) { nodes { id } } }", token=token))["standards"]["nodes"][0]["id"]
    answers = [{"standardId": built_in, "alignment": "NOT_ALIGNED", "note": f"Finding {m}"}]
    if library:
        answers.append({"standardId": found["Standard"], "alignment": "PARTIAL", "note": f"Answer {m}"})
    review = (await gql.mutate(token, "startReview", {"tenantId": t}, "review { id }"))["review"]["id"]
    await gql.mutate(token, "answerStandards", {"reviewId": review, "answers": answers}, "review { id }")
    completed = await gql.data(
        "mutation($i: IdInput!) { completeReview(input: $i) { review { findings { id } } userErrors { code } } }",
        {"i": {"id": review}}, token)
    found["Finding"] = completed["completeReview"]["review"]["findings"][0]["id"]
    await gql.mutate(token, "linkFinding", {"findingId": found["Finding"], "initiativeId": found["Initiative"]}, "finding { id }")
    found["Review"] = (await gql.mutate(token, "startReview", {"tenantId": t}, "review { id }"))["review"]["id"]


LARGE_PRACTICE = 2000  # practice C's tenants: its admin's scope names the practice, never lists them


async def add_empty_tenants(world: World, practice, count: int) -> None:
    """`count` ACTIVE tenants without data, in one statement (the large practice's rest)."""
    rows = [{"id": uuid7(), "practice_id": practice.id, "name": f"Empty {n}", "slug": f"empty-{n}-{uuid.uuid4().hex[:6]}",
             "employee_count": 10} for n in range(count)]
    async with world.scope(()) as s:
        await s.execute(insert(Tenant), rows)


async def build_cast(gql: Gql, world: World) -> Cast:
    practice_a, practice_b, practice_c = await world.practice(), await world.practice(), await world.practice()
    a1, a2, b1, c1 = (await world.tenant(practice_a), await world.tenant(practice_a), await world.tenant(practice_b),
                      await world.tenant(practice_c))
    await add_empty_tenants(world, practice_c, LARGE_PRACTICE - 1)
    users = {
        "admin_a": await world.user(practice_a, Role.PRACTICE_ADMIN),
        "cio_a": await world.user(practice_a, Role.CIO, [a1]),
        "exec_a": await world.user(practice_a, Role.CLIENT_EXECUTIVE, [a1]),
        "admin_b": await world.user(practice_b, Role.PRACTICE_ADMIN),
        "admin_c": await world.user(practice_c, Role.PRACTICE_ADMIN),
    }
    tokens = {name: await gql.login(user.email) for name, user in users.items()}
    holdings = {name: Holdings(t, f"MARK{uuid.uuid4().hex[:10]}")
                for name, t in (("a1", a1), ("a2", a2), ("b1", b1), ("c1", c1))}
    for name in ("a1", "a2"):
        await fill(gql, tokens["admin_a"], holdings[name], library=name == "a1")
    await fill(gql, tokens["admin_b"], holdings["b1"])
    await fill(gql, tokens["admin_c"], holdings["c1"])
    tokens["key_a"] = (await gql.mutate(tokens["admin_a"], "createApiKey", {
        "name": "PSA push", "tenantIds": [holdings["a1"].gid],
    }, "key"))["key"]
    h = holdings
    user_ids = {name: ids.encode("User", user.id) for name, user in users.items()}
    of_a = [user_ids[n] for n in ("admin_a", "cio_a", "exec_a")]
    callers = [
        Caller("admin_a", tokens["admin_a"], h["a1"], practice_a.id, [h["b1"]], [user_ids["admin_b"]]),
        Caller("cio_a", tokens["cio_a"], h["a1"], practice_a.id, [h["a2"], h["b1"]], [user_ids["admin_b"]]),
        Caller("exec_a", tokens["exec_a"], h["a1"], practice_a.id, [h["a2"], h["b1"]], [user_ids["admin_b"]]),
        Caller("key_a", tokens["key_a"], h["a1"], practice_a.id, [h["a2"], h["b1"]], [user_ids["admin_b"]]),
        Caller("admin_b", tokens["admin_b"], h["b1"], practice_b.id, [h["a1"], h["a2"]], of_a),
        Caller("admin_c", tokens["admin_c"], h["c1"], practice_c.id, [h["a1"], h["a2"], h["b1"]],
               of_a + [user_ids["admin_b"]]),
    ]
    for caller in callers:
        caller.me = user_ids["admin_a" if caller.name == "key_a" else caller.name]
    key_id = uuid.UUID(hex=tokens["key_a"].split("_")[1])
    return Cast(h["a1"], h["a2"], h["b1"], callers, users, key_id)
