"""The compiled portfolio (`Query.portfolio` in app/api/compiled/fields/portfolio.py) answers like the executor's.

Hypothesis writes both the portfolio's tenants and the documents. The tenants (written through
the API's mutations, their scores stored as the scoring worker stores them) hold what the row's
figures treat specially: no score and tied scores, no budget, a plan of zero, variances exactly
on a .x5 boundary (rounded half away from zero by both paths), ticket figures absent and zero,
risks at 9, 10, 16 and 25 of every status, meetings past and future, an offboarded tenant, and
fiscal years starting in any month. The documents ask any subset of the fields, aliased, with the
month as a literal, a variable, a default, null or absent. Besides: the contract operation, the
viewers the executor must answer (not staff), and stored answers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from app.api import ids
from app.api.compiled.run import compile_request
from app.auth.principal import Principal
from app.db import written
from app.health.formula import band
from app.health.inputs import fiscal_year_of
from app.health.models import HealthScore
from app.months import add_months, month_label, utc_today
from app.risks.models import Risk
from app.tenants.models import Role
from tests.api.compiled_pair import Pair
from tests.api.generated_scene import LINE, MEETING, RISK, SPEND, TICKETS, UPDATE_RISK, login, mutate
from tests.api.test_statement_counts import OPERATIONS

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXAMPLES = int(os.environ.get("FCIO_GENERATED_PORTFOLIOS", "15"))
PORTFOLIO = (OPERATIONS / "portfolio.graphql").read_text()
MONTH = dt.date(2026, 10, 1)
RISKS = [(3, 3), (2, 5), (4, 4), (5, 5)]  # scores 9, 10, 16, 25
# "ACCEPTED-1": accepted until yesterday, expired today and open again (formula v2); +0 ends today (expired
# too), +1 tomorrow (still accepted).
STATUSES = ["OPEN", "MITIGATING", "ACCEPTED", "CLOSED", "ACCEPTED-1", "ACCEPTED+0", "ACCEPTED+1"]
BOUNDARIES = [Decimal("1.25"), Decimal("-1.25"), Decimal("0.05"), Decimal("-0.05"), Decimal("2.35"), Decimal("0"),
              Decimal("-100"), Decimal("12.45")]


@pytest.fixture(scope="module")
def pair(services):
    return Pair(services)


# ---- the tenants -------------------------------------------------------------------------------

budgets = st.one_of(
    st.none(),
    st.tuples(st.just("boundary"), st.sampled_from(BOUNDARIES)),  # planned 1200, spent for exactly this variance
    st.tuples(st.just("zero plan"), st.sampled_from([Decimal("0"), Decimal("15.00")])),
    st.tuples(st.just("any"), st.decimals(Decimal("0.01"), Decimal("99999.99"), places=2),
              st.decimals(Decimal("0"), Decimal("99999.99"), places=2)),
)
tenant_specs = st.fixed_dictionaries({
    "employees": st.integers(1, 60),
    "start": st.sampled_from([1, 4, 7, 10, 11, 12]),
    "score": st.one_of(st.none(), st.sampled_from([0, 39, 55, 55, 70, 100])),
    "before": st.one_of(st.none(), st.integers(0, 100)),  # the month before's score, for `change`
    "gap": st.booleans(),  # `before` two months before instead (no month before: no change)
    "last_year": st.booleans(),  # spend on the fiscal year before's budget, not to date in this one
    "tickets": st.one_of(st.none(), st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4))),
    "risks": st.lists(st.tuples(st.sampled_from(RISKS), st.sampled_from(STATUSES)), max_size=4),
    "budget": budgets,
    "meeting": st.sampled_from([None, "2027-03-01T10:00:00Z", "2026-02-01T10:00:00Z"]),
    "offboarded": st.integers(0, 8).map(lambda n: n == 4),
})


async def store_score(world, tenant, month: dt.date, score: int) -> None:
    async with world.scope([tenant.id]) as s:
        s.add(HealthScore(tenant_id=tenant.id, month=month, score=score, band=band(score),
                          components=[{"key": "tickets", "score": score, "weight": 1.0, "explanation": "Set."}],
                          inputs={}, formula_version=1))


async def make_tenant(pair: Pair, world, token: str, practice, n: int, spec: dict):
    tenant = await world.tenant(practice, name=f"T{n} {spec['score']}", employee_count=spec["employees"],
                                fiscal_year_start_month=spec["start"])
    gid = ids.encode("Tenant", tenant.id)
    if spec["score"] is not None:
        await store_score(world, tenant, MONTH, spec["score"])
    if spec["before"] is not None:
        await store_score(world, tenant, add_months(MONTH, -2 if spec["gap"] else -1), spec["before"])
    if spec["tickets"] is not None:
        support, change, alert = spec["tickets"]
        await mutate(pair, token, TICKETS, tenantId=gid, month=month_label(MONTH), support=support, change=change,
                     alert=alert)
    for k, ((likelihood, impact), status) in enumerate(spec["risks"]):
        risk = await mutate(pair, token, RISK, tenantId=gid, title=f"Risk {k}", category="SECURITY",
                            likelihood=likelihood, impact=impact)
        status, days = re.fullmatch(r"([A-Z]+)([+-]\d)?", status).groups()
        if status != "OPEN":
            await mutate(pair, token, UPDATE_RISK, id=risk["risk"]["id"], status=status)
        if days:  # no API sets the acceptance's end yet (acceptRisk): as it would store it
            async with world.scope([tenant.id]) as s:
                until = utc_today() + dt.timedelta(days=int(days))
                await s.execute(update(Risk).where(Risk.tenant_id == tenant.id, Risk.id == ids.decode(risk["risk"]["id"]).id)
                                .values(accepted_until=until))
    if spec["budget"] is not None:
        year, elapsed = fiscal_year_of(MONTH, spec["start"])
        kind, *values = spec["budget"]
        if kind == "boundary":  # planned to date is 100 a month: spend (100 + v) a month for v %
            planned, spent = Decimal("1200.00"), elapsed * (100 + values[0])
        else:
            planned, spent = (Decimal("0"), values[0]) if kind == "zero plan" else values
        line = await mutate(pair, token, LINE, tenantId=gid, fiscalYear=year, name="Line", kind="OPEX",
                            category="Software", planned=str(planned))
        if spent:
            await mutate(pair, token, SPEND, budgetLineId=line["budgetLine"]["id"], month=month_label(MONTH),
                         amount=str(spent))
        if elapsed < 12:  # spend after the month is not to date
            await mutate(pair, token, SPEND, budgetLineId=line["budgetLine"]["id"],
                         month=month_label(add_months(MONTH, 1)), amount="7.00")
    if spec["last_year"]:
        year, elapsed = fiscal_year_of(MONTH, spec["start"])
        line = await mutate(pair, token, LINE, tenantId=gid, fiscalYear=year - 1, name="Last year", kind="OPEX",
                            category="Software", planned="600.00")
        await mutate(pair, token, SPEND, budgetLineId=line["budgetLine"]["id"],
                     month=month_label(add_months(MONTH, -elapsed)), amount="55.00")
    if spec["meeting"]:
        await mutate(pair, token, MEETING, tenantId=gid, scheduledAt=spec["meeting"])
    if spec["offboarded"]:
        async with world.scope(()) as s:
            await s.execute(text("UPDATE tenants SET status = 'OFFBOARDED' WHERE id = :id"), {"id": tenant.id},
                            execution_options=written.declare([tenant.id], [tenant.practice_id]))
    return tenant


# ---- the documents -----------------------------------------------------------------------------

ROW_SCALARS = ("openHighRisks", "ticketsLastMonth", "ticketTarget", "budgetVariancePercent")
KEYS = ("a", "b", "rows", "month", "score", "tenant")


@st.composite
def selections(draw, options: dict) -> str:
    names = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=len(options), unique=True))
    parts, keys = [], set()
    for name in names:
        key = name
        if draw(st.integers(0, 5)) == 3:
            key = next(k for k in (draw(st.sampled_from(KEYS)), *(f"k{i}" for i in range(20)))
                       if k not in keys and k not in names)
        keys.add(key)
        parts.append(f"{'' if key == name else key + ': '}{name}{draw(options[name])}")
    return "{ " + " ".join(parts) + " }"


def nested(options: dict):
    return selections(options).map(lambda s: " " + s)


@st.composite
def documents(draw) -> tuple[str, dict]:
    tenant = nested({n: st.just("") for n in ("id", "name", "slug", "employeeCount", "fiscalYearStartMonth")}
                    | {"health": st.just(" { month score }")})
    health = nested({n: st.just("") for n in ("month", "score", "band", "change", "formulaVersion")}
                    | {"components": st.just(" { key score weight }")})
    row = nested({**{n: st.just("") for n in ROW_SCALARS}, "tenant": tenant, "health": health,
                  "nextSteeringMeeting": st.just(" { id scheduledAt status }")})
    body = draw(nested({"month": st.just(""), "tenantCount": st.just(""), "averageScore": st.just(""), "rows": row}))
    month = draw(st.sampled_from([None, "omit", month_label(MONTH), month_label(add_months(MONTH, -1)), "2026-12"]))
    how = draw(st.sampled_from(["literal", "variable", "default"]))
    if month == "omit":
        return f"{{ portfolio{body} }}", {}
    value = "null" if month is None else json.dumps(month)
    if how == "literal":
        return f"{{ portfolio(month: {value}){body} }}", {}
    if how == "default":
        return f"query P($m: Month = {value}) {{ portfolio(month: $m){body} }}", {}
    return f"query P($m: Month) {{ portfolio(month: $m){body} }}", {"m": month}


# ---- the tests ---------------------------------------------------------------------------------

async def compare(pair: Pair, query: str, variables: dict, token: str) -> dict:
    answers = await pair.ask(query, variables, token)
    assert answers.equal, answers.difference()
    assert answers.compiled, f"not compiled:\n{answers.report()}"
    return answers.json()


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(specs=st.lists(tenant_specs, min_size=0, max_size=5), data=st.data())
async def test_generated_portfolios_answer_like_the_executor(pair, world, specs, data):
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await login(pair, admin.email)
    made = [await make_tenant(pair, world, token, practice, n, spec) for n, spec in enumerate(specs)]
    cio = await world.user(practice, Role.CIO, tenants=made[::2])
    cio_token = await login(pair, cio.email)
    body = await compare(pair, PORTFOLIO, {"month": month_label(MONTH)}, token)
    assert body["data"]["portfolio"]["tenantCount"] == sum(not s["offboarded"] for s in specs)
    for _ in range(4):
        query, variables = data.draw(documents(), label="document")
        note(f"{query} {variables}")
        await compare(pair, query, variables, data.draw(st.sampled_from([token, cio_token]), label="viewer"))


async def test_the_contract_operation_and_the_figures(pair, world):
    """One portfolio by hand, whose figures are known: the rounding is half away from zero."""
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await login(pair, admin.email)
    specs = [
        dict(employees=12, start=1, score=55, before=50, tickets=(0, 0, 0), risks=[((2, 5), "OPEN"), ((3, 3), "OPEN"),
             ((5, 5), "MITIGATING"), ((4, 4), "CLOSED"), ((4, 4), "ACCEPTED"), ((4, 4), "ACCEPTED-1"),
             ((5, 5), "ACCEPTED+1"), ((2, 5), "ACCEPTED+0")], budget=("boundary", Decimal("1.25")),
             meeting="2027-03-01T10:00:00Z", offboarded=False, gap=False, last_year=True),
        dict(employees=3, start=7, score=55, before=None, tickets=None, risks=[], budget=("zero plan", Decimal("15.00")),
             meeting=None, offboarded=False, gap=False, last_year=False),
        dict(employees=40, start=10, score=None, before=None, tickets=(1, 2, 3), risks=[],
             budget=("boundary", Decimal("-1.25")), meeting=None, offboarded=False, gap=False, last_year=False),
        dict(employees=40, start=4, score=70, before=62, tickets=None, risks=[], budget=None, meeting=None,
             offboarded=False, gap=True, last_year=False),
    ]
    made = [await make_tenant(pair, world, token, practice, n, spec) for n, spec in enumerate(specs)]
    portfolio = (await compare(pair, PORTFOLIO, {"month": month_label(MONTH)}, token))["data"]["portfolio"]
    assert portfolio["tenantCount"] == 4 and portfolio["averageScore"] == 60.0
    rows = {r["tenant"]["id"]: r for r in portfolio["rows"]}
    first, second, third, fourth = (rows[ids.encode("Tenant", t.id)] for t in made)
    assert [r["tenant"]["id"] for r in portfolio["rows"]][-1] == ids.encode("Tenant", made[2].id)  # no score: last
    # 10, 25, the 16 accepted until yesterday and the 10 until today (over today); not the 16 accepted for
    # good nor the 25 accepted until tomorrow.
    assert (first["openHighRisks"], first["ticketsLastMonth"], first["ticketTarget"]) == (4, 0, 2)
    # The first tenant's spend of the fiscal year before (2025-12) is not to date in 2026.
    assert first["budgetVariancePercent"] == 1.3 and third["budgetVariancePercent"] == -1.3  # half away from zero
    assert first["health"]["change"] == 5 and first["nextSteeringMeeting"] is not None
    assert (second["ticketsLastMonth"], second["budgetVariancePercent"], second["ticketTarget"]) == (None, None, 1)
    assert third["ticketsLastMonth"] == 6 and third["health"] is None
    assert fourth["budgetVariancePercent"] is None
    assert fourth["health"]["change"] is None  # a score two months before is not the month before's
    await store_score(world, made[2], MONTH, 57)
    assert (await compare(pair, PORTFOLIO, {"month": month_label(MONTH)}, token))["data"]["portfolio"][
        "averageScore"] == 59.3  # (55 + 55 + 57 + 70) / 4 = 59.25, which round() made 59.2


async def test_viewers_who_are_not_staff_are_answered_by_the_executor(pair, world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    for role in (Role.CLIENT_EXECUTIVE,):
        user = await world.user(practice, role, tenants=[tenant])
        answers = await pair.ask(PORTFOLIO, {"month": "2026-10"}, await login(pair, user.email))
        assert answers.equal, answers.difference()
        assert not answers.compiled and answers.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def portfolio_read(api, count_statements, token: str, query: str, variables: dict) -> tuple[int, dict]:
    with count_statements() as log:
        data = await api.data(query, variables, token)
    return len(log), data


async def test_a_portfolio_of_a_given_month_is_stored_until_its_tenants_change(api, world, count_statements):
    practice = await world.practice()
    a = await world.tenant(practice, "Alpha")
    cio = await world.user(practice, Role.CIO, tenants=[a])
    token = await api.login(cio.email)
    without_meeting = PORTFOLIO.replace("nextSteeringMeeting { id scheduledAt status }", "")
    month = {"month": month_label(MONTH)}
    computed, first = await portfolio_read(api, count_statements, token, without_meeting, month)
    stored, again = await portfolio_read(api, count_statements, token, without_meeting, month)
    assert (computed, stored) == (2, 1) and again == first
    data = await api.data(RISK, {"i": {"tenantId": ids.encode("Tenant", a.id), "title": "Open", "category": "SECURITY",
                                       "likelihood": 5, "impact": 5}}, token)
    assert data["createRisk"]["userErrors"] == []
    statements, data = await portfolio_read(api, count_statements, token, without_meeting, month)
    assert statements == 2 and data["portfolio"]["rows"][0]["openHighRisks"] == 1
    # The clock's month is the day's (a stored answer is keyed by the UTC day); with no upcoming
    # meeting, every next meeting stays none until a write.
    for query, variables in ((without_meeting, {}), (PORTFOLIO, month)):
        counts = [(await portfolio_read(api, count_statements, token, query, variables))[0] for _ in range(2)]
        assert counts == [2, 1], query


async def test_a_next_meeting_makes_an_answer_expire_and_a_default_month_does_not(pair):
    schema = pair.compiled_app.state.schema
    cio = Principal("user", None, None, Role.CIO, frozenset())
    without_meeting = PORTFOLIO.replace("nextSteeringMeeting { id scheduledAt status }", "")
    assert not compile_request(schema, cio, without_meeting, {"month": "2026-10"}, None).expiring
    assert not compile_request(schema, cio, without_meeting, {}, None).expiring
    assert compile_request(schema, cio, PORTFOLIO, {"month": "2026-10"}, None).expiring
    executive = Principal("user", None, None, Role.CLIENT_EXECUTIVE, frozenset())
    assert compile_request(schema, executive, without_meeting, {"month": "2026-10"}, None) is None

