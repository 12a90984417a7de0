"""SQL statements per request do not grow with the number of tenants or rows.

On a change the test prints the statements, so the new one is easy to find.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from app.api import ids
from app.auth.principal import Principal
from app.budgets.actions import record_spend, set_budget_line
from app.budgets.models import BudgetKind
from app.db.scope import set_tenants
from app.decisions import actions as decisions
from app.goals.actions import create_goal, set_strategy_profile
from app.goals.models import GoalStatus
from app.health.actions import score_batch
from app.lifecycle import actions as lifecycle
from app.planning.actions import create_initiative
from app.risks import actions as risks
from app.risks.models import RiskCategory
from app.standards import actions as standards
from app.standards.models import Alignment, Finding, Standard
from app.steering import actions as steering
from app.tenants import actions as tenants
from app.tenants.models import Role
from tests.statements import on_cluster, rescoping

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
MONTH = dt.date(2026, 10, 1)


async def portfolio_of(world, sessionmaker, n: int):
    practice = await world.practice()
    system = Principal.system(practice_id=practice.id)
    async with world.scope(()) as s:
        made = []
        for i in range(n):
            tenant = await tenants.create_tenant(s, system, name=f"Client {i}", employee_count=10 + i)
            made.append(tenant)
        scoped = Principal.system([t.id for t in made], practice.id)
        await set_tenants(s, scoped.tenant_ids)
        for tenant in made:
            for level in (2, 4):
                await risks.create_risk(s, scoped, tenant.id, title=f"Risk {level}", category=RiskCategory.SECURITY, likelihood=level, impact=4)
    await score_batch(sessionmaker, [t.id for t in made], MONTH)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    return made, admin


async def counted(api, count_statements, query, variables, token):
    with count_statements() as log:
        body = await api.post(query, variables, token)
    assert not body.get("errors"), body
    return len(log), log, body["data"]


async def test_portfolio_and_dashboard_statements_do_not_grow(api, world, sessionmaker, count_statements):
    portfolio = (OPERATIONS / "portfolio.graphql").read_text()
    dashboard = (OPERATIONS / "tenant_dashboard.graphql").read_text()
    top_risks = (OPERATIONS / "top_risks.graphql").read_text()
    counts = {}
    for n in (5, 200):
        made, admin = await portfolio_of(world, sessionmaker, n)
        token = await api.login(admin.email)
        p, p_log, data = await counted(api, count_statements, portfolio, {"month": "2026-10"}, token)
        assert data["portfolio"]["tenantCount"] == n
        assert all(r["health"] is not None for r in data["portfolio"]["rows"])
        d, d_log, _ = await counted(api, count_statements, dashboard, {
            "id": ids.encode("Tenant", made[0].id), "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}, token)
        t, t_log, data = await counted(api, count_statements, top_risks, {"first": 200}, token)
        assert len(data["tenants"]["edges"]) == n
        assert all(len(e["node"]["risks"]["edges"]) == 2 for e in data["tenants"]["edges"])
        counts[n] = (p, d, t, p_log, d_log, t_log)
    small, large = counts[5], counts[200]
    for i, name in enumerate(["portfolio", "dashboard", "top risks"]):
        assert small[i] == large[i], f"{name}: {small[i]} vs {large[i]} statements\n{large[i + 3].report()}"
    # The exact figures, so a new statement is a deliberate change.
    expected = EXPECTED_ON_CLUSTER if on_cluster() else EXPECTED
    assert (small[0], small[1], small[2]) == expected, f"{(small[0], small[1], small[2])}\n" + "\n\n".join(log.report() for log in small[3:])


# The portfolio, the dashboard and top risks are compiled (app/api/compiled): one statement authenticates and
# sets the tenant scope (the user with its tenants), one answers.
EXPECTED = (2, 2, 2)  # the portfolio is compiled too (from 11: tenants, scores, inputs, meetings...)
# On a Citus coordinator only the dashboard, one tenant's, is compiled (app/api/compiled/compiler.py
# `Compiler.routed`); the executor answers the others by loader: the portfolio its tenants, each
# input of the score, the scores and the meetings; top risks the tenants, their scores and their risks.
EXPECTED_ON_CLUSTER = (13 + rescoping(), 2 + rescoping(), 4 + rescoping())


async def test_asset_pages_and_forecasts_do_not_grow_with_assets_or_tenants(api, world, count_statements):
    """The lifecycle page of one tenant, and every tenant's page and forecast in one request."""
    page = (OPERATIONS / "lifecycle_page.graphql").read_text()
    page = page[:page.index("mutation CreateAsset")]  # its query (the file holds the page's mutations too)
    forecast = (OPERATIONS / "lifecycle_forecast.graphql").read_text()
    everyone = ("query { tenants(first: 200) { edges { node { name assets(first: 5, status: [EXPIRING, UNSUPPORTED]) { "
                "totalCount nodes { name status replaceBy } } lifecycleForecast(quarters: 4) { quarter assets } } } } }")
    counts = {}
    for n in (2, 12):
        practice = await world.practice()
        made = [await world.tenant(practice, fiscal_year_start_month=1 + i % 12) for i in range(n)]
        for tenant in made:
            async with world.scope([tenant.id]) as s:
                system = Principal.system([tenant.id], practice.id)
                await lifecycle.ingest_assets(s, system, tenant.id, "rmm", [
                    lifecycle.PushedAsset(external_id=str(i), name=f"Asset {i}", kind="LAPTOP",
                                          purchased_on=dt.date(2022, 1 + i % 12, 1)) for i in range(3 * n)])
        admin = await world.user(practice, Role.PRACTICE_ADMIN)
        token = await api.login(admin.email)
        variables = {"id": ids.encode("Tenant", made[0].id)}
        p, p_log, data = await counted(api, count_statements, page, variables, token)
        assert data["tenant"]["assets"]["totalCount"] == 3 * n
        f, f_log, _ = await counted(api, count_statements, forecast, variables, token)
        e, e_log, data = await counted(api, count_statements, everyone, {}, token)
        assert len(data["tenants"]["edges"]) == n
        counts[n] = (p, f, e, p_log, f_log, e_log)
    small, large = counts[2], counts[12]
    for i, name in enumerate(["lifecycle page", "forecast", "every tenant's assets and forecast"]):
        assert small[i] == large[i], f"{name}: {small[i]} vs {large[i]} statements\n{large[i + 3].report()}"


async def reviewed_tenant(world, api, reviews: int, answers: int):
    """A tenant with `reviews` completed reviews of `answers` standards each, every gap linked to an initiative."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    system = Principal.system([tenant.id], practice.id)
    library = [r.id for r in await api.rows([], Standard.__table__.select().where(Standard.practice_id == practice.id))]
    async with world.scope([tenant.id]) as s:
        initiative = await create_initiative(s, system, tenant.id, title="Close the gaps")
        for n in range(reviews):
            review = await standards.start_review(s, system, tenant.id)
            await standards.answer_standards(s, system, tenant.id, review.id, [
                standards.AnswerInput(library[i], list(Alignment)[(i + n) % 4]) for i in range(answers)])
            done = await standards.complete_review(s, system, tenant.id, review.id)
            for finding in (await s.execute(Finding.__table__.select().where(
                    Finding.review_id == done.id))).all():
                await standards.link_finding(s, system, tenant.id, finding.id, initiative.id)
    return practice, tenant


async def test_review_screen_statements_do_not_grow(api, world, count_statements):
    document = (OPERATIONS / "review_screen.graphql").read_text()
    counts = {}
    for reviews, answers in ((1, 3), (4, 30)):
        practice, tenant = await reviewed_tenant(world, api, reviews, answers)
        token = api.token(await world.user(practice, Role.CIO, [tenant]))
        with count_statements() as log:
            response = await api.http.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
                "query": document, "operationName": "ReviewScreen",
                "variables": {"tenantId": ids.encode("Tenant", tenant.id), "libraryFirst": 200}})
        body = response.json()
        assert not body.get("errors"), body
        nodes = [e["node"] for e in body["data"]["tenant"]["reviews"]["edges"]]
        assert len(nodes) == reviews and all(len(n["answers"]) == answers for n in nodes)
        assert all(f["initiative"] for n in nodes for f in n["findings"])
        assert reviews == 1 or any(n["changesSincePrevious"] for n in nodes)
        counts[(reviews, answers)] = (len(log), log)
    (small, small_log), (large, large_log) = counts.values()
    assert small == large, f"{small} vs {large} statements\n{large_log.report()}"
    # Authentication and scope, the tenant, the library, reviews, latest review, answers, standards,
    # findings, changes, initiatives.
    assert small == REVIEW_SCREEN, f"{small}\n{small_log.report()}"


REVIEW_SCREEN = 10 + rescoping()


async def test_goals_page_statements_do_not_grow_with_goals_or_initiatives(api, world, count_statements):
    """The goals page: the profile, a year's goals, each with the initiatives that serve it and each initiative's goal."""
    page = (OPERATIONS / "goals_page.graphql").read_text()
    # Its query and fragment (the file holds the page's mutations too).
    page = page[:page.index("mutation SetStrategyProfile")] + page[page.index("fragment GoalDetail"):]
    page = page.replace("targetMonth costEstimate", "targetMonth goal { id title } costEstimate")
    counts = {}
    for goals, per_goal in ((1, 1), (6, 8)):
        practice = await world.practice()
        tenant = await world.tenant(practice)
        async with world.scope([tenant.id]) as s:
            system = Principal.system([tenant.id], practice.id)
            await set_strategy_profile(s, system, tenant.id, it_maturity=3, endorsed_stack=["Intune"])
            for g in range(goals):
                goal = await create_goal(s, system, tenant.id, title=f"Goal {g}", fiscal_year=2026, kpi="Days")
                for i in range(per_goal):
                    await create_initiative(s, system, tenant.id, title=f"Initiative {g}.{i}", goal_id=goal.id)
        token = api.token(await world.user(practice, Role.CIO, [tenant]))
        n, log, data = await counted(api, count_statements, page, {"tenantId": ids.encode("Tenant", tenant.id), "fiscalYear": 2026}, token)
        assert [len(g["initiatives"]) for g in data["tenant"]["goals"]] == [per_goal] * goals
        assert all(i["goal"]["title"] == g["title"] for g in data["tenant"]["goals"] for i in g["initiatives"])
        counts[goals] = (n, log)
    (small, small_log), (large, large_log) = counts.values()
    assert small == large, f"{small} vs {large} statements\n{large_log.report()}"
    # Authentication and scope, the tenant, its profile, its goals, their initiatives, the initiatives' goals.
    assert small == GOALS_PAGE, f"{small}\n{small_log.report()}"


GOALS_PAGE = 6 + rescoping()


async def test_roadmap_page_statements_do_not_grow_with_initiatives_spend_or_assets(api, world, count_statements):
    """The roadmap page: a year's roadmap with each initiative's goal, and the budget's forecast."""
    page = (OPERATIONS / "roadmap.graphql").read_text()
    page = page[:page.index("mutation ValueInitiative")] + page[page.index("fragment RoadmapInitiative"):]
    counts = {}
    for n in (1, 12):
        practice = await world.practice()
        tenant = await world.tenant(practice, fiscal_year_start_month=4)
        async with world.scope([tenant.id]) as s:
            system = Principal.system([tenant.id], practice.id)
            goal = await create_goal(s, system, tenant.id, title="Goal", fiscal_year=2026, kpi="Days")
            line = await set_budget_line(s, system, tenant.id, fiscal_year=2026, name="Run", kind=BudgetKind.OPEX,
                                         category="Licences", planned=Decimal("12000"))
            for i in range(n):
                month = dt.date(2026 + (3 + i) // 12, (3 + i) % 12 + 1, 1)
                await create_initiative(s, system, tenant.id, title=f"Initiative {i}", target_month=month, goal_id=goal.id,
                                        cost_estimate=Decimal("100"), recurring_cost_per_year=Decimal("1200"))
                await record_spend(s, system, tenant.id, line.id, month=month, amount=Decimal("900"))
                await lifecycle.create_asset(s, system, tenant.id, name=f"Asset {i}", kind="LAPTOP", replace_by=month,
                                             replacement_cost=Decimal("1000"))
        token = api.token(await world.user(practice, Role.CIO, [tenant]))
        count, log, data = await counted(api, count_statements, page, {"tenantId": ids.encode("Tenant", tenant.id), "fiscalYear": 2026}, token)
        assert sum(len(q["initiatives"]) for q in data["tenant"]["roadmap"]) == n
        assert len(data["tenant"]["budget"]["forecast"]) == 12
        counts[n] = (count, log)
    (small, small_log), (large, large_log) = counts.values()
    assert small == large, f"{small} vs {large} statements\n{large_log.report()}"
    # Authentication and scope, the tenant, the roadmap's initiatives (shared with the forecast), their
    # goals, the budget, its spend per month, the replacements due.
    assert small == ROADMAP_PAGE, f"{small}\n{small_log.report()}"


ROADMAP_PAGE = 7 + rescoping()
async def test_meeting_pack_statements_do_not_grow_with_the_agenda_or_the_register(api, world, count_statements):
    """One meeting with its derived agenda and decisions, and the tenant's register."""
    pack = (OPERATIONS / "meeting_pack.graphql").read_text()
    pack = pack[:pack.index("mutation DecideInitiative")] + pack[pack.index("fragment DecisionDetail"):]
    counts = {}
    for n in (1, 7):
        practice = await world.practice()
        tenant = await world.tenant(practice)
        cio = await world.user(practice, Role.CIO, [tenant])
        system = Principal("user", cio.id, practice.id, Role.CIO, frozenset({tenant.id}))  # a decision names its user
        async with world.scope([tenant.id]) as s:
            day = dt.datetime.now(dt.UTC)
            meeting = await steering.schedule_meeting(s, system, tenant.id, scheduled_at=day)
            for i in range(n):
                year = day.year if tenant.fiscal_year_start_month <= day.month else day.year - 1
                goal = await create_goal(s, system, tenant.id, title=f"Goal {i}", fiscal_year=year, status=GoalStatus.AT_RISK)
                for approve in (True, False):
                    initiative = await create_initiative(s, system, tenant.id, title=f"Proposal {i} {approve}", goal_id=goal.id)
                    await decisions.decide_initiative(s, system, tenant.id, initiative.id, approve=approve, reason="Why",
                                                      meeting_id=meeting.id)
                await create_initiative(s, system, tenant.id, title=f"Awaiting {i}")
                risk = await risks.create_risk(s, system, tenant.id, title=f"Risk {i}", category=RiskCategory.SECURITY,
                                               likelihood=3, impact=3, review_due=day.date())
                await decisions.accept_risk(s, system, tenant.id, risk.id, until=day.date() + dt.timedelta(days=30),
                                            reason="Why", meeting_id=meeting.id)
        token = api.token(cio)
        variables = {"meetingId": ids.encode("SteeringMeeting", meeting.id, tenant.id), "tenantId": ids.encode("Tenant", tenant.id)}
        count, log, data = await counted(api, count_statements, pack, variables, token)
        assert len(data["meeting"]["decisionsTaken"]) == 3 * n and data["tenant"]["decisions"]["totalCount"] == 3 * n
        assert len(data["meeting"]["suggestedAgenda"]) >= 3 * n
        counts[n] = (count, log)
    (small, small_log), (large, large_log) = counts.values()
    assert small == large, f"{small} vs {large} statements\n{large_log.report()}"
    assert small == MEETING_PACK, f"{small}\n{small_log.report()}"


# Authentication and scope, the meeting, the tenant; the agenda's sources (fiscal year start, goals,
# initiatives, risks, open findings); the decisions taken, action items, the register; deciders, the
# decisions' initiatives and risks (by key). A finding's standard adds one when the review has gaps.
MEETING_PACK = 14 + rescoping()


async def test_a_psa_push_costs_the_same_statements_whatever_the_batch(api, world, count_statements):
    """A key's push: BEGIN, the one statement that authenticates the key and sets the scope, the
    tenant's check, the tickets' lock, plan setting and upsert, the audit row, the figures and the
    counters at commit, COMMIT; as many for 40 tickets as for one, and for a key of a whole practice.
    A wrong secret is refused after that one statement: nothing of the push runs."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    create = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { message } } }"
    listed = (await api.mutate(admin, create, {"name": "psa", "tenantIds": [ids.encode("Tenant", tenant.id)]}))["key"]
    whole = (await api.mutate(admin, create, {"name": "whole practice"}))["key"]
    push = (OPERATIONS / "psa_ticket_push.graphql").read_text()

    def batch(run: str, n: int) -> dict:
        return {"input": {"tenantId": ids.encode("Tenant", tenant.id), "source": "psa", "tickets": [
            {"externalId": f"{run}-{i}", "category": "SUPPORT", "openedAt": "2026-10-05T09:00:00Z"} for i in range(n)]}}

    counts = []
    for which, key in (("listed", listed), ("whole", whole)):
        await counted(api, count_statements, push, batch(f"warm-{which}", 1), key)  # the key's use noted once
        for run, n in (("one", 1), ("forty", 40)):
            count, log, data = await counted(api, count_statements, push, batch(f"{run}-{which}", n), key)
            assert data["ingestTickets"] == {"accepted": n, "userErrors": []}
            counts.append(count)
    assert len(set(counts)) == 1 and counts[0] <= 9 + rescoping(), (counts, log.report())
    wrong = listed[:-4] + ("aaaa" if not listed.endswith("aaaa") else "bbbb")
    with count_statements() as log:
        body = await api.post(push, batch("wrong", 1), wrong)
    assert body["data"] is None and body["errors"], body
    assert "api_keys" in log.statements[0] and not any("tickets" in s for s in log.statements), log.report()
