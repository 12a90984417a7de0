"""Stored answers (app/api/compiled/answers.py): served only while exactly true, and only to their caller.

A stored answer is served by one statement (the authentication, which also reads the tenants'
change counter). Every test writes through a real path (a mutation, the scoring worker's batch,
a grant, a PSA-style write in another session) and checks that the very next read shows it,
and that callers with other tenants, roles or practices never receive another caller's answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from unittest.mock import ANY

import pytest
from sqlalchemy import text, update

from app.api import ids
from app.api.compiled.answers import Answers
from app.api.compiled.compiler import FIELDS
from app.api.compiled.run import compile_request
from app.api.schema import build_schema
from app.auth.principal import Principal
from app.db import versions
from app.health.actions import score_batch
from app.risks.models import Risk
from app.steering import actions as steering
from app.tenants import actions as tenant_actions
from app.tenants.models import Role
from graphql import TypeInfo, TypeInfoVisitor, Visitor, parse, visit
from tests.api.compiled_pair import compiled_here
from tests.api.test_compiled_reads import EVERYTHING
from tests.statements import rescoping

pytestmark = pytest.mark.asyncio(loop_scope="session")

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
TOP_RISKS = (OPERATIONS / "top_risks.graphql").read_text()
DASHBOARD = (OPERATIONS / "tenant_dashboard.graphql").read_text()
PORTFOLIO = (OPERATIONS / "portfolio.graphql").read_text()
CREATE_RISK = """mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id } userErrors { code message } } }"""


async def read(api, count_statements, token: str, query: str = TOP_RISKS, variables: dict | None = None):
    """(statements the app sent, the answer's data)."""
    with count_statements() as log:
        data = await api.data(query, variables or {"first": 200}, token)
    return len(log), data


def cost(query: str, variables: dict | None = None) -> tuple:
    """(statements of a read computed, of the same read served from store): the authentication,
    which reads the counters, and the answer; then the authentication alone. On a Citus coordinator
    the authentication writes the scope again (`rescoping`), and a read the compiler leaves to the
    executor there (`compiled_here`) is computed every time and stores nothing: its count is not
    this file's (test_statement_counts.py has it), its answers are."""
    if not compiled_here(query, None, variables):
        return ANY, ANY
    return 2 + rescoping(), 1 + rescoping()


def risk_titles(data: dict) -> dict[str, list[str]]:
    return {e["node"]["name"]: [r["node"]["title"] for r in e["node"]["risks"]["edges"]]
            for e in data["tenants"]["edges"]}


async def add_risk(api, token: str, tenant, title: str, likelihood: int = 5) -> None:
    data = await api.data(CREATE_RISK, {"i": {"tenantId": ids.encode("Tenant", tenant.id), "title": title,
                                              "category": "SECURITY", "likelihood": likelihood, "impact": 5}}, token)
    assert data["createRisk"]["userErrors"] == []


async def test_a_repeated_read_is_one_statement_until_its_tenants_change(api, world, sessionmaker, count_statements):
    practice = await world.practice()
    a, b = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    cio = await world.user(practice, Role.CIO, tenants=[a, b])
    token = await api.login(cio.email)
    await add_risk(api, token, a, "Backups untested")

    computed, first = await read(api, count_statements, token)
    stored, again = await read(api, count_statements, token)
    assert (computed, stored) == cost(TOP_RISKS) and again == first

    await add_risk(api, token, b, "No MFA")  # a mutation
    statements, data = await read(api, count_statements, token)
    assert statements == cost(TOP_RISKS)[0] and risk_titles(data) == {"Alpha": ["Backups untested"], "Beta": ["No MFA"]}

    await score_batch(sessionmaker, [a.id], dt.date(2026, 10, 1))  # the scoring worker's write
    _, data = await read(api, count_statements, token)
    assert data["tenants"]["edges"][0]["node"]["health"]["month"] == "2026-10"

    async with world.scope([b.id]) as s:  # any other writer, e.g. PSA processing in a worker
        await s.execute(update(Risk).where(Risk.tenant_id == b.id).values(title="MFA for admins only"))
    _, data = await read(api, count_statements, token)
    assert risk_titles(data)["Beta"] == ["MFA for admins only"]
    assert (await read(api, count_statements, token))[0] == cost(TOP_RISKS)[1]


async def test_a_stored_answer_never_reaches_another_caller(api, world, count_statements):
    practice = await world.practice()
    a, b = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    cio_a = await world.user(practice, Role.CIO, tenants=[a])
    cio_b = await world.user(practice, Role.CIO, tenants=[b])
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, tenants=[a])
    stranger = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    tokens = {u: await api.login(u.email) for u in (admin, cio_a, cio_b, executive, stranger)}
    await add_risk(api, tokens[admin], a, "Risk of Alpha")
    await add_risk(api, tokens[admin], b, "Risk of Beta")

    expected = {admin: {"Alpha", "Beta"}, cio_a: {"Alpha"}, cio_b: {"Beta"}, executive: {"Alpha"}, stranger: set()}
    for _ in range(2):  # the second round is served from stored answers
        for user, names in expected.items():
            _, data = await read(api, count_statements, tokens[user])
            assert set(risk_titles(data)) == names, user.role
    dashboard = {"id": ids.encode("Tenant", a.id), "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}
    for _ in range(2):
        for user in expected:
            _, data = await read(api, count_statements, tokens[user], DASHBOARD, dashboard)
            assert (data["tenant"] is not None) == ("Alpha" in expected[user]), user.role

    async with world.scope([a.id, b.id]) as s:  # a grant taken away shows at once, though no tenant data changed
        await tenant_actions.revoke_access(s, Principal("user", admin.id, practice.id, Role.PRACTICE_ADMIN,
                                                        frozenset({a.id, b.id})), cio_a.id, a.id)
    _, data = await read(api, count_statements, tokens[cio_a])
    assert data["tenants"]["edges"] == []
    _, data = await read(api, count_statements, tokens[cio_a], DASHBOARD, dashboard)
    assert data["tenant"] is None


async def meet(world, tenant, at: dt.datetime) -> None:
    async with world.scope([tenant.id]) as s:
        await steering.schedule_meeting(s, Principal.system([tenant.id]), tenant.id, scheduled_at=at)


async def test_an_answer_with_next_meetings_is_stored_until_the_earliest_begins(api, world, count_statements):
    practice = await world.practice()
    a, b = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    cio = await world.user(practice, Role.CIO, tenants=[a, b])
    token = await api.login(cio.email)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    later = soon + dt.timedelta(days=30)
    await meet(world, a, soon)
    await meet(world, a, later)
    await meet(world, b, later + dt.timedelta(days=1))
    query = "{ tenants { edges { node { name nextSteeringMeeting { scheduledAt } } } } }"

    def next_meetings(data):
        return {e["node"]["name"]: e["node"]["nextSteeringMeeting"]["scheduledAt"] for e in data["tenants"]["edges"]}

    counts, answers = zip(*[await read(api, count_statements, token, query, {}) for _ in range(2)], strict=True)
    assert counts == cost(query, {}) and answers[0] == answers[1]  # stored: no meeting has begun
    assert next_meetings(answers[1])["Alpha"] == soon.isoformat()
    await asyncio.sleep(max(0.0, (soon - dt.datetime.now(dt.UTC)).total_seconds()) + 0.05)
    statements, data = await read(api, count_statements, token, query, {})  # Alpha's has begun: computed again
    assert statements == cost(query, {})[0] and next_meetings(data) == {"Alpha": later.isoformat(),
                                                       "Beta": (later + dt.timedelta(days=1)).isoformat()}
    assert (await read(api, count_statements, token, query, {}))[0] == cost(query, {})[1]


async def test_an_admins_next_meetings_are_stored_for_one_tenant_only(api, world, count_statements):
    """Across a whole practice, finding when the answer changes would cost a probe per tenant."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)
    await meet(world, tenant, dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    listing = "{ tenants { edges { node { name nextSteeringMeeting { scheduledAt } } } } }"
    assert [(await read(api, count_statements, token, listing, {}))[0] for _ in range(2)] == [cost(listing, {})[0]] * 2
    one = "query($id: ID!) { tenant(id: $id) { name nextSteeringMeeting { scheduledAt } } }"
    variables = {"id": ids.encode("Tenant", tenant.id)}
    assert [(await read(api, count_statements, token, one, variables))[0] for _ in range(2)] == list(cost(one, variables))


async def test_a_write_to_one_tenant_leaves_the_stored_answers_about_another(api, world, count_statements):
    practice = await world.practice()
    a, b = await world.tenant(practice, "Alpha"), await world.tenant(practice, "Beta")
    cio = await world.user(practice, Role.CIO, tenants=[a, b])
    token = await api.login(cio.email)
    dashboards = {t: {"id": ids.encode("Tenant", t.id), "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}
                  for t in (a, b)}
    for t in (a, b):
        assert [(await read(api, count_statements, token, DASHBOARD, dashboards[t]))[0] for _ in range(2)] == list(cost(DASHBOARD, dashboards[t]))
    await add_risk(api, token, b, "Only Beta's")
    assert (await read(api, count_statements, token, DASHBOARD, dashboards[a]))[0] == cost(DASHBOARD, dashboards[a])[1]  # Alpha's: still true
    statements, data = await read(api, count_statements, token, DASHBOARD, dashboards[b])
    assert statements == cost(DASHBOARD, dashboards[b])[0] and [e["node"]["title"] for e in data["tenant"]["risks"]["edges"]] == ["Only Beta's"]
    _, listing = await read(api, count_statements, token)  # what reads both tenants sees the write
    assert risk_titles(listing) == {"Alpha": [], "Beta": ["Only Beta's"]}


async def test_compiled_statements_read_only_watched_tables(world):
    """A compiled field reading a table without counters would be served stale: none may.

    The documents below select every field the compiler knows (checked first), so their
    statements hold every table a compiled answer can read.
    """
    practice = await world.practice()
    tenant = await world.tenant(practice)
    viewer = Principal("user", None, practice.id, Role.PRACTICE_ADMIN, frozenset({tenant.id}))
    schema = build_schema(False)
    dashboard = {"id": ids.encode("Tenant", tenant.id), "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}
    documents = ((EVERYTHING, {"first": 4, "month": "2026-05"}), (DASHBOARD, dashboard), (PORTFOLIO, {"month": "2026-10"}))
    selected = set().union(*(fields_selected(schema._schema, query) for query, _ in documents))
    assert set(FIELDS) <= selected, f"add to EVERYTHING: {sorted(set(FIELDS) - selected)}"
    read_tables = set()
    for query, variables in documents:
        compiled = compile_request(schema, viewer, query, variables, None)
        assert compiled is not None
        read_tables |= set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\b(?!\s*\()", compiled.statement))
    async with world.scope(()) as s:
        tables = set(await s.scalars(text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")))
    read_tables &= tables  # drop subquery aliases
    assert read_tables >= {"tenants", "risks", "health_scores", "ticket_months", "budget_lines", "budget_spend"}
    assert not read_tables & versions.UNWATCHED


def fields_selected(schema, query: str) -> set[tuple[str, str]]:
    """(parent type, field) of every field a document selects."""
    type_info, found = TypeInfo(schema), set()

    class Collect(Visitor):
        def enter_field(self, node, *_):
            found.add((type_info.get_parent_type().name, node.name.value))

    visit(parse(query), TypeInfoVisitor(type_info, Collect()))
    return found


async def test_the_byte_budget_evicts_the_least_recently_used():
    answers = Answers(2000)
    for name in "abcd":
        answers.put(name, 1, name.encode() * 500)
    assert answers.get("a", 1) is not None  # a is now the most recent
    answers.put("e", 1, b"e" * 500)
    assert answers.get("b", 1) is None and answers.get("a", 1) and answers.get("e", 1)
    assert answers.get("a", 2) is None  # another counter: not served
    answers.put("huge", 1, b"x" * 501)  # over a quarter of the budget: not kept
    assert answers.get("huge", 1) is None and len(answers) == 4
