"""The one-statement read path answers exactly like the executor, and never outside the viewer's tenants.

Each document is sent to two apps over the same database, one with compiled reads and one
without; the response bodies must be equal byte for byte, and the compiled app must have run
one statement after authentication (so the test fails if a document silently fell back).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select, text

from app.api import ids
from app.auth.principal import Principal
from app.db import written
from app.db.scope import tenant_session
from app.decisions import actions as decisions
from app.goals.actions import create_goal
from app.goals.models import GoalStatus
from app.health.actions import score_batch
from app.lifecycle.actions import create_asset
from app.lifecycle.models import AssetKind
from app.months import add_months, month_start
from app.planning.actions import create_initiative
from app.planning.models import Initiative, InitiativeStatus
from app.risks import actions as risk_actions
from app.risks.models import Risk, RiskCategory, RiskStatus
from app.seed.demo import DEMO_PRACTICE, seed_demo
from app.seed.synthetic import seed_synthetic
from app.steering.actions import schedule_meeting
from app.tenants.models import Practice, Role, Tenant, User
from tests.api.compiled_pair import Pair, compiled_here, is_compiled
from tests.apitools import PASSWORD

pytestmark = pytest.mark.asyncio(loop_scope="session")

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
END = dt.date(2026, 6, 1)

RISK = "id version title category status likelihood impact score owner reviewDue mitigation treatment description acceptedUntil"
INITIATIVE = ("id version title status priority targetMonth costEstimate recurringCostPerYear hoursSavedPerMonth "
              "revenueAtRisk description")
DECISION = "id kind summary reason decidedAt expiresOn"
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
EVERYTHING = f"""query Everything($first: Int, $after: String, $search: String, $month: Month) {{
  tenants(first: $first, after: $after, search: $search) {{
    totalCount {PAGE_INFO}
    edges {{ cursor node {{
      id version name slug industry employeeCount fiscalYearStartMonth currency
      health(month: $month) {{ month score band change formulaVersion computedAt components {{ key score weight explanation }} }}
      latest: health {{ month score }}
      healthHistory(from: "2025-10", to: "2026-06") {{ month score band change }}
      risks(first: 3, status: [OPEN, MITIGATING], minScore: 4, orderBy: REVIEW_DUE_ASC) {{
        totalCount {PAGE_INFO} edges {{ cursor node {{ {RISK} }} }} nodes {{ id }} }}
      allRisks: risks {{ totalCount nodes {{ id score status acceptedUntil decision {{ {DECISION} }} }} }}
      accepted: risks(first: 10, status: [ACCEPTED]) {{ totalCount }}
      initiatives(first: 2, orderBy: PRIORITY_ASC) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ {INITIATIVE} }} }} }}
      vendors {{ id version name relationship annualCost contractEnd }}
      policies {{ kind status approvedOn reviewIntervalMonths reviewDue documentUrl version }}
      budget(fiscalYear: 2026) {{ fiscalYear currency planned actual firstMonth lastMonth
        lines {{ id version name kind category planned actual }} forecast {{ month planned actual forecast }} }}
      roadmap(fiscalYear: 2026) {{ quarter oneTimeCost recurringCostPerYear hoursSavedPerMonth revenueAtRisk
        initiatives {{ {INITIATIVE} goal {{ id title kpi }} }} }}
      noBudget: budget(fiscalYear: 1990) {{ planned }}
      ticketMetrics(from: "2025-12", to: "2026-06") {{ month support change alert total target }}
      steeringMeetings(from: "2026-01-01", to: "2026-04-30") {{
        id version scheduledAt status attendees attendeeDetails {{ name function }} agenda decisions
        actionItems(first: 2, status: OPEN) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ version title owner dueOn status }} }} }}
        allItems: actionItems {{ nodes {{ title status }} }} suggestedAgenda {{ kind summary }} }}
      nextSteeringMeeting {{ id scheduledAt status }}
      decisions(first: 3) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ {DECISION} decidedBy {{ name email role }}
        initiative {{ id title status }} risk {{ id title status }} }} }} }}
      register: decisions {{ nodes {{ summary }} }}
      reviews(first: 2) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ id version status startedAt completedAt alignmentScore
        answers {{ alignment note standard {{ id version section title question whyItMatters priority active }} }} }} }} }}
      allReviews: reviews {{ nodes {{ status answers {{ alignment }} }} }}
      lifecycleForecast(quarters: 4) {{ quarter assets replacementCost }} eight: lifecycleForecast {{ quarter }}
      goals {{ id version title fiscalYear function kpi baseline target current status }}
      yearGoals: goals(fiscalYear: 2026) {{ title fiscalYear }} noGoals: goals(fiscalYear: 70000) {{ title }}
    }} }}
  }}
}}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def practice(sessionmaker):
    name = f"Compiled {uuid.uuid4().hex[:6]}"  # data differ run to run: the equality must hold for any
    summary = await seed_synthetic(sessionmaker, tenants=8, months=12, practice=name, progress=False, end_month=END,
                                   cio_tenants=6, cio_password=PASSWORD)
    async with tenant_session(sessionmaker, ()) as s:
        tenants = list(await s.scalars(select(Tenant).where(Tenant.practice_id == summary.practice_id)))
    # Whatever the seed drew: high risks accepted until a day to come and until a day gone by, so
    # the rules of acceptance show in every run (tests/api/test_one_definition.py).
    today = dt.datetime.now(dt.UTC).date()
    async with tenant_session(sessionmaker, [t.id for t in tenants]) as s:
        s.add_all([Risk(tenant_id=t.id, title=f"Accepted until {until}", category=RiskCategory.SECURITY,
                        status=RiskStatus.ACCEPTED, likelihood=3, impact=4, accepted_until=until)
                   for t in tenants for until in (today + dt.timedelta(days=60), today - dt.timedelta(days=5))])
    await take_decisions(sessionmaker, summary, tenants, today)
    for month in (dt.date(2026, 4, 1), dt.date(2026, 5, 1), END):
        await score_batch(sessionmaker, [t.id for t in tenants], month)
    return summary, tenants


async def take_decisions(sessionmaker, summary, tenants, today: dt.date) -> None:
    """The register as executives fill it (the seed writes none): per tenant a new risk accepted twice
    (its decision is the latest), a proposal approved and a note, all by the practice's CIO."""
    async with tenant_session(sessionmaker, ()) as s:
        cio = await s.scalar(select(User).where(User.email == summary.cio_email))
    by = Principal("user", cio.id, summary.practice_id, Role.CIO, frozenset(t.id for t in tenants))
    async with tenant_session(sessionmaker, [t.id for t in tenants]) as s:
        for tenant in tenants:
            risk = await risk_actions.create_risk(s, by, tenant.id, title="To accept", category=RiskCategory.VENDOR,
                                                  likelihood=2, impact=3)
            for days in (30, 90):
                await decisions.accept_risk(s, by, tenant.id, risk.id, until=today + dt.timedelta(days=days),
                                            reason=f"Accepted for {days} days")
            proposal = await s.scalar(select(Initiative).where(Initiative.tenant_id == tenant.id,
                                                               Initiative.status == InitiativeStatus.PROPOSED).limit(1))
            if proposal is not None:
                await decisions.decide_initiative(s, by, tenant.id, proposal.id, approve=True)
            await decisions.record_decision(s, by, tenant.id, summary=f"Note <b>{tenant.name}</b>", reason=None)


@pytest.fixture(scope="module")
def pair(services):
    return Pair(services)


async def both(pair: Pair, query: str, variables: dict, token: str) -> dict:
    """The body from each app; they must be identical and the compiled one must be one statement
    (on a Citus coordinator, when the document reads one tenant: `compiled_here`)."""
    answers = await pair.ask(query, variables, token)
    assert answers.compiled_status == 200
    assert answers.equal, answers.difference()
    assert answers.compiled == compiled_here(query), f"compiled: {answers.compiled}\n{answers.report()}"
    return answers.json()


async def test_the_contract_operations_answer_byte_for_byte(api, pair, practice):
    summary, tenants = practice
    token = await api.login(summary.cio_email)
    top = await both(pair, (OPERATIONS / "top_risks.graphql").read_text(), {"first": 200}, token)
    assert len(top["data"]["tenants"]["edges"]) == 6
    assert any(e["node"]["risks"]["edges"] for e in top["data"]["tenants"]["edges"])
    dashboard = (OPERATIONS / "tenant_dashboard.graphql").read_text()
    budget_page = (OPERATIONS / "budget_page.graphql").read_text()
    shown, lines = 0, 0
    for tenant in tenants:
        variables = {"id": ids.encode("Tenant", tenant.id), "from": "2025-07", "to": "2026-06", "fiscalYear": 2026}
        body = await both(pair, dashboard, variables, token)
        shown += body["data"]["tenant"] is not None
        budget = (await both(pair, budget_page, {"id": variables["id"], "fiscalYear": 2026}, token))["data"]["tenant"]
        lines += len(budget["budget"]["lines"]) if budget and budget["budget"] else 0
    assert shown == 6, "the CIO sees the six tenants granted, and only those"
    assert lines > 6, "the budget page's lines (with their actual) are compiled too"


async def test_every_compiled_field_and_page_matches(api, pair, practice, world):
    summary, _ = practice
    token = await api.login(summary.cio_email)
    first = await both(pair, EVERYTHING, {"first": 4, "month": "2026-05"}, token)
    page = first["data"]["tenants"]
    assert page["totalCount"] == 6 and page["pageInfo"]["hasNextPage"]
    nodes = [e["node"] for e in page["edges"]]
    assert all(n["health"]["month"] == "2026-05" and n["healthHistory"] and n["policies"] for n in nodes)
    assert any(n["ticketMetrics"] for n in nodes) and any(n["budget"] for n in nodes)
    assert any(n["goals"] for n in nodes) and all(n["noGoals"] == [] for n in nodes)
    assert all(g["fiscalYear"] == 2026 for n in nodes for g in n["yearGoals"])
    assert all(len(n["lifecycleForecast"]) == 4 and len(n["eight"]) == 8 for n in nodes)
    assert any(q["assets"] and q["replacementCost"] != "0.00" for n in nodes for q in n["lifecycleForecast"])
    reviewed = [r for n in nodes for r in n["allReviews"]["nodes"]]
    assert any(r["status"] == "COMPLETED" and r["answers"] for r in reviewed)
    register = [d["summary"] for n in nodes for d in n["register"]["nodes"]]
    assert any(s.startswith("Note <b>") for s in register) and any(s.startswith("Approved: ") for s in register)
    taken = [e["node"] for n in nodes for e in n["decisions"]["edges"]]
    assert all(d["decidedBy"]["email"] == summary.cio_email for d in taken) and any(d["risk"] for d in taken)
    items = [i for n in nodes for m in n["steeringMeetings"] for i in m["allItems"]["nodes"]]
    assert {i["status"] for i in items} == {"OPEN", "DONE"}, "the seed's action items, of both kinds"
    decided = [r["decision"] for n in nodes for r in n["allRisks"]["nodes"] if r["decision"]]
    assert decided and all(d["reason"] == "Accepted for 90 days" for d in decided), "a risk's decision is its latest"
    assert all(n["noBudget"] is None for n in nodes)
    second = await both(pair, EVERYTHING, {"first": 4, "after": page["pageInfo"]["endCursor"]}, token)
    assert len(second["data"]["tenants"]["edges"]) == 2 and second["data"]["tenants"]["pageInfo"]["hasPreviousPage"]
    await both(pair, EVERYTHING, {"search": "e", "first": 0}, token)
    aliased = "{ a: tenants(first: 2) { n: nodes { x: name } } b: tenants { totalCount } }"
    await both(pair, aliased, {}, token)
    # Nothing aggregates these pages (found by test_compiled_generated.py): still one object each.
    constant = "{ tenants { pageInfo { hasPreviousPage } } none: tenants(search: \"#none#\") { pageInfo { hasPreviousPage } } }"
    assert (await both(pair, constant, {}, token))["data"]["none"] == {"pageInfo": {"hasPreviousPage": False}}
    # A cursor past the last row: an empty page of a list that still has its six tenants.
    last = second["data"]["tenants"]["edges"][-1]["cursor"]
    beyond = await both(pair, EVERYTHING, {"first": 4, "after": last}, token)
    assert beyond["data"]["tenants"]["edges"] == [] and beyond["data"]["tenants"]["totalCount"] == 6


async def test_documents_it_does_not_compile_are_executed(api, asgi_app, count_statements, practice):
    summary, _ = practice
    token = await api.login(summary.cio_email)
    for query in (
        "{ tenants { edges { node { ...T } } } } fragment T on Tenant { name }",
        "{ tenants { edges { node { __typename name } } } }",
        "query($x: Boolean!) { tenants { edges { node { name @include(if: $x) } } } }",
        "{ tenants { edges { node { risks(first: 500) { totalCount } } } } }",
        "{ tenants { edges { node { risks(after: \"eHl6OjE=\") { totalCount } } } } }",
    ):
        with count_statements() as log:
            response = await api.http.post("/graphql", json={"query": query, "variables": {"x": True}},
                                           headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        assert not [s for s in log.statements if is_compiled(s)], query


async def test_a_viewer_never_reaches_another_tenant_or_practice(api, pair, practice, world):
    summary, tenants = practice
    own, other = tenants[0], tenants[1]
    executive = await world.user(await world_practice(world, summary), Role.CLIENT_EXECUTIVE, tenants=[own])
    token = await api.login(executive.email)
    listed = await both(pair, EVERYTHING, {"first": 50}, token)
    assert [e["node"]["id"] for e in listed["data"]["tenants"]["edges"]] == [ids.encode("Tenant", own.id)]
    query = "query($a: ID!, $b: ID!) { a: tenant(id: $a) { name risks { totalCount } } b: tenant(id: $b) { name } }"
    answer = await both(pair, query, {"a": ids.encode("Tenant", own.id), "b": ids.encode("Tenant", other.id)}, token)
    assert answer["data"]["a"]["name"] == own.name and answer["data"]["b"] is None
    stranger = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    token = await api.login(stranger.email)
    answer = await both(pair, query, {"a": ids.encode("Tenant", own.id), "b": ids.encode("Tenant", other.id)}, token)
    assert answer["data"] == {"a": None, "b": None}
    empty = await both(pair, EVERYTHING, {}, token)
    assert empty["data"]["tenants"]["edges"] == []


async def test_each_practice_reads_its_own_standards_and_deciders(api, pair, practice, sessionmaker, world):
    """A rule naming the viewer's practice is rendered per request: a reader of the demo practice,
    after this module's practice's, gets its review answers' standards and its deciders, not nulls."""
    first, _ = practice
    await both(pair, EVERYTHING, {"first": 1}, await api.login(first.cio_email))
    await seed_demo(sessionmaker)
    async with tenant_session(sessionmaker, ()) as s:
        demo = await s.scalar(select(Practice).where(Practice.name == DEMO_PRACTICE))
    token = api.token(await world.user(demo, Role.PRACTICE_ADMIN))
    nodes = [e["node"] for e in (await both(pair, EVERYTHING, {"first": 50}, token))["data"]["tenants"]["edges"]]
    answers = [a for n in nodes for e in n["reviews"]["edges"] for a in e["node"]["answers"]]
    assert answers and all(a["standard"] is not None for a in answers)
    taken = [e["node"] for n in nodes for e in n["decisions"]["edges"]]
    assert taken and all(d["decidedBy"] is not None for d in taken)


async def test_the_lifecycle_forecast_follows_each_tenants_fiscal_quarters(api, pair, world):
    """Tenants whose fiscal years start in January, April, July and October, with assets due over
    the year and one long past (counted in the current quarter): both paths, byte for byte."""
    practice = await world.practice()
    tenants = [await world.tenant(practice, fiscal_year_start_month=start) for start in (1, 4, 7, 10)]
    today = dt.datetime.now(dt.UTC).date()
    async with world.scope([t.id for t in tenants]) as s:
        for tenant in tenants:
            by = Principal.system([tenant.id], practice.id)
            for days in (-400, 20, 100, 200, 300):
                await create_asset(s, by, tenant.id, name=f"Due in {days}", kind=AssetKind.LAPTOP,
                                   replace_by=today + dt.timedelta(days=days), replacement_cost=Decimal("1250.50"))
    token = api.token(await world.user(practice, Role.CIO, tenants))
    query = "{ tenants { nodes { fiscalYearStartMonth four: lifecycleForecast(quarters: 4) { quarter assets replacementCost } lifecycleForecast { quarter } } } }"
    nodes = (await both(pair, query, {}, token))["data"]["tenants"]["nodes"]
    assert len({n["four"][0]["quarter"] for n in nodes}) > 1, "each tenant's own fiscal quarters"
    assert all(n["four"][0]["assets"] >= 2 and len(n["lifecycleForecast"]) == 8 for n in nodes)
    assert all(sum(q["assets"] for q in n["four"]) <= 5 for n in nodes)


async def test_the_suggested_agenda_answers_byte_for_byte(api, pair, world):
    """`SteeringMeeting.suggestedAgenda` compiles from `agenda.SECTIONS`, the executor's rules: tenants
    whose fiscal years start in January, April, July and October, meetings on days around today
    (the quarter and the fiscal year each day falls in, acceptances ending or ended by it), both
    paths byte for byte. The seeded practice's (findings of its reviews) are compared in
    test_every_compiled_field_and_page_matches."""
    practice = await world.practice()
    tenants = [await world.tenant(practice, fiscal_year_start_month=start) for start in (1, 4, 7, 10)]
    today = dt.datetime.now(dt.UTC).date()
    year = today.year
    cio = await world.user(practice, Role.CIO, tenants)
    by = Principal("user", cio.id, practice.id, Role.CIO, frozenset(t.id for t in tenants))
    async with world.scope([t.id for t in tenants]) as s:
        for tenant in tenants:
            for fiscal_year, status in ((year, GoalStatus.OFF_TRACK), (year - 1, GoalStatus.AT_RISK), (year, GoalStatus.AT_RISK),
                                        (year, GoalStatus.ON_TRACK)):
                await create_goal(s, by, tenant.id, title=f"{status.value} {fiscal_year}", fiscal_year=fiscal_year, status=status)
            for months, status in ((0, InitiativeStatus.PROPOSED), (1, InitiativeStatus.APPROVED), (-2, InitiativeStatus.IN_PROGRESS),
                                   (4, InitiativeStatus.APPROVED), (0, InitiativeStatus.DONE)):
                await create_initiative(s, by, tenant.id, title=f"{status.value} {months}", status=status,
                                        target_month=add_months(month_start(today), months))
            for days in (10, 50, 70, 300):
                risk = await risk_actions.create_risk(s, by, tenant.id, title=f"Accepted {days}", category=RiskCategory.VENDOR,
                                                      likelihood=2, impact=3, review_due=today + dt.timedelta(days=days - 20))
                await decisions.accept_risk(s, by, tenant.id, risk.id, until=today + dt.timedelta(days=days), reason="For now")
            await risk_actions.create_risk(s, by, tenant.id, title="Review <due>", category=RiskCategory.SECURITY,
                                           likelihood=4, impact=4, review_due=today - dt.timedelta(days=3))
            for days in (-100, -1, 0, 45, 95, 200):
                await schedule_meeting(s, by, tenant.id, scheduled_at=dt.datetime.combine(
                    today + dt.timedelta(days=days), dt.time(23, 30), dt.UTC))
    token = api.token(cio)
    query = """{ tenants { nodes { fiscalYearStartMonth nextSteeringMeeting { suggestedAgenda { kind summary } }
      steeringMeetings { scheduledAt suggestedAgenda { kind summary } } } } }"""
    nodes = (await both(pair, query, {}, token))["data"]["tenants"]["nodes"]
    kinds = {i["kind"] for n in nodes for m in n["steeringMeetings"] for i in m["suggestedAgenda"]}
    assert kinds == {"GOAL_OFF_TRACK", "GOAL_AT_RISK", "PROPOSAL_AWAITING_DECISION", "RISK_ACCEPTANCE_ENDING",
                     "RISK_REVIEW_DUE", "INITIATIVE_DUE"}
    assert len({len(m["suggestedAgenda"]) for n in nodes for m in n["steeringMeetings"]}) > 2, "each meeting's own day"


async def world_practice(world, summary):
    async with tenant_session(world.sessionmaker, ()) as s:
        return await s.get(Practice, summary.practice_id)



async def test_lifecycle_fields_are_left_to_the_executor_and_answer_alike(api, pair, practice):
    """`Tenant.assets` is not compiled: such a document falls back, byte-identical."""
    summary, _ = practice
    token = await api.login(summary.cio_email)
    query = """{ tenants { edges { node { name
      assets(first: 3, status: [UNSUPPORTED, EXPIRING, CURRENT]) { totalCount nodes { name kind status replaceBy replacementCost } }
      lifecycleForecast(quarters: 4) { quarter assets replacementCost } } } } }"""
    answers = await pair.ask(query, {}, token)
    assert answers.compiled_status == 200 and answers.equal, answers.difference()
    assert not answers.compiled
    edges = answers.json()["data"]["tenants"]["edges"]
    assert len(edges) == 6 and any(e["node"]["assets"]["totalCount"] for e in edges)


async def test_goal_fields_are_left_to_the_executor_and_answer_alike(api, pair, practice):
    """`BusinessGoal.initiatives` and `Initiative.goal` are not compiled: such a document falls back, byte-identical."""
    summary, _ = practice
    token = await api.login(summary.cio_email)
    query = """{ tenants { edges { node { name
      goals { id title fiscalYear function kpi baseline target current status initiatives { title goal { title } } }
      initiatives(first: 5) { nodes { title goal { title kpi } } } } } } }"""
    answers = await pair.ask(query, {}, token)
    assert answers.compiled_status == 200 and answers.equal, answers.difference()
    assert not answers.compiled
    edges = answers.json()["data"]["tenants"]["edges"]
    assert len(edges) == 6 and all(e["node"]["goals"] for e in edges)
    assert any(g["initiatives"] for e in edges for g in e["node"]["goals"])


async def test_the_roadmap_and_the_forecast_answer_byte_for_byte(api, pair, practice):
    """`Tenant.roadmap` and `Budget.forecast` compile from the rules the executor runs
    (`roadmap.quarters_query`, `forecast.forecast_query`): the years before, of and after the data."""
    summary, _ = practice
    token = await api.login(summary.cio_email)
    query = """{ tenants { edges { node { name
      roadmap(fiscalYear: 2026) { quarter oneTimeCost recurringCostPerYear hoursSavedPerMonth revenueAtRisk
        initiatives { title targetMonth costEstimate recurringCostPerYear goal { title kpi } } }
      before: roadmap(fiscalYear: 2025) { quarter hoursSavedPerMonth initiatives { title } }
      after: roadmap(fiscalYear: 2027) { quarter oneTimeCost initiatives { title } }
      budget(fiscalYear: 2026) { planned forecast { month planned actual forecast } }
      lastBudget: budget(fiscalYear: 2025) { forecast { month actual forecast } } } } } }"""
    answers = await both(pair, query, {}, token)
    edges = answers["data"]["tenants"]["edges"]
    assert len(edges) == 6 and any(q["initiatives"] for e in edges for q in e["node"]["roadmap"])
    assert any(i["goal"] for e in edges for q in e["node"]["roadmap"] for i in q["initiatives"])
    assert any(e["node"]["budget"] and e["node"]["budget"]["forecast"] for e in edges)


async def test_a_roadmap_year_out_of_range_is_left_to_the_executor(api, pair, practice):
    summary, _ = practice
    token = await api.login(summary.cio_email)
    answers = await pair.ask("{ tenants { nodes { roadmap(fiscalYear: 1990) { quarter } } } }", {}, token)
    assert answers.compiled_status == 200 and answers.equal, answers.difference()
    assert not answers.compiled and "errors" in answers.json()


async def test_the_executive_report_field_is_left_to_the_executor_and_answers_alike(api, pair, practice):
    """`Tenant.executiveReport` is not compiled: such a document falls back, byte-identical."""
    summary, _ = practice
    token = await api.login(summary.cio_email)
    query = """{ tenants { edges { node { name executiveReport { month htmlUrl pptxUrl }
      may: executiveReport(month: "2026-05") { htmlUrl } none: executiveReport(month: "2020-01") { month } } } } }"""
    answers = await pair.ask(query, {}, token)
    assert answers.compiled_status == 200 and answers.equal, answers.difference()
    assert not answers.compiled
    nodes = [e["node"] for e in answers.json()["data"]["tenants"]["edges"]]
    assert len(nodes) == 6 and all(n["may"]["htmlUrl"].endswith("/2026-05.html") and n["none"] is None for n in nodes)


async def test_an_admins_tenant_pages_count_its_active_tenants_on_both_paths(api, pair, world):
    """An admin's unsearched total is its roster, not a count: it still says how many ACTIVE tenants
    of its practice there are, page after page, and follows a new and an offboarded tenant."""
    practice = await world.practice()
    made = [await world.tenant(practice, name=f"Client {n}") for n in range(5)]
    await world.tenant(await world.practice(), name="Client of another practice")
    token = api.token(await world.user(practice, Role.PRACTICE_ADMIN))
    page = ("query($after: String, $search: String) { tenants(first: 2, after: $after, search: $search) { "
            "totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { name } } } }")

    async def pages(search=None) -> tuple[int, list[str]]:
        seen, after = [], None
        while True:
            listed = (await both(pair, page, {"after": after, "search": search}, token))["data"]["tenants"]
            seen += [e["node"]["name"] for e in listed["edges"]]
            if not listed["pageInfo"]["hasNextPage"]:
                return listed["totalCount"], seen
            after = listed["pageInfo"]["endCursor"]

    assert await pages() == (5, [f"Client {n}" for n in range(5)])
    assert await pages("client 3") == (1, ["Client 3"])
    async with world.scope(()) as s:
        await s.execute(text("update tenants set status = 'OFFBOARDED' where id = :t"), {"t": made[0].id},
                        execution_options=written.declare([made[0].id], [practice.id]))
    await world.tenant(practice, name="Client 5")
    assert await pages() == (5, [f"Client {n}" for n in range(1, 6)])
