"""What each compiled field is in SQL: the same rows, filters and order as its resolver.

Nothing here restates a rule: every list's filters, order and cursor key, and every derived value
(a ticket target, a policy's review date and its MISSING row, an attendee's label), is the
function of its area that the executor calls too, rendered on an alias of the table
(`sql.expression`). The definitions are looked up at compile time (`risks.risk_list`, not an
imported copy), so a change there changes both paths; the equivalence tests catch any other drift.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from sqlalchemy import Date, Integer, String, func, literal_column, select

from app.api import (
    decisions,
    goals,
    health,
    ids,
    pagination,
    permissions,
    planning,
    policies,
    portfolio,
    risks,
    standards,
    steering,
    tenants,
    vendors,
)
from app.api.budgets import BUDGETS, LINES, budget_totals, lines_with_actual
from app.api.compiled import render, sql
from app.api.compiled.compiler import Compiler, Unsupported, compiles, page_bounds
from app.api.lists import Listing
from app.api.tickets import MAX_MONTHS
from app.budgets.actions import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR
from app.db import global_ids
from app.errors import Invalid
from app.health import formula, inputs
from app.lifecycle import actions as lifecycle_actions
from app.lifecycle import rules as lifecycle_rules
from app.months import add_months, last_full_month, utc_today
from app.policies import actions as policy_actions
from app.policies.models import PolicyKind
from app.risks import rules as risk_rules
from app.standards.actions import library_order
from app.steering import actions as steering_actions
from app.tickets.figures import month_figures
from app.tickets.models import TicketMonth as MonthRow


def columns(type_name: str, **fields: Callable[[str], str]) -> None:
    """Fields that are a scalar expression of their row only."""
    for name, expression in fields.items():
        compiles(type_name, name)(lambda c, row, node, args, expression=expression: sql.value(expression(row)))


def col(name: str, convert: Callable[[str], str] | None = None) -> Callable[[str], str]:
    return (lambda row: convert(f"{row}.{name}")) if convert else (lambda row: f"{row}.{name}")


def value(name: str, type_=String):
    """A column of a compiled row (`a0.employee_count`) as a SQLAlchemy expression, for an area's rule."""
    return literal_column(name, type_)


@functools.cache
def aliased(table, name: str):
    """The table under the statement's alias `name`, for an area's rule; kept, as building one costs
    more than the rest of a compile and the names repeat (r, a0, a1, ...)."""
    return table.alias(name)


TENANTS = aliased(tenants.TENANTS, "r")
HIGH_RISKS = aliased(risks.RISKS, "hr")

TICKET_MONTHS = sql.core(
    select(MonthRow.month, *month_figures())
    .where(MonthRow.tenant_id == literal_column("__parent__.id"),
           MonthRow.month.between(literal_column("__from__"), literal_column("__to__")))
    .group_by(MonthRow.month)
)
BUDGET = sql.core(
    budget_totals().where(BUDGETS.c.tenant_id == literal_column("__parent__.id"),
                          BUDGETS.c.fiscal_year == literal_column("__fiscal_year__"))
)
# A budget's lines with their actual, as the executor reads them; their Relay ids are not stored,
# so the statement encodes them (app/db/global_ids.py) over the lines' own columns.
BUDGET_LINES = "SELECT l.*, {gid} AS gid FROM ({lines}) AS l".format(
    gid=global_ids.expression("BudgetLine"),
    lines=sql.core(lines_with_actual().where(LINES.c.tenant_id == literal_column("__parent__.tenant_id"),
                                             LINES.c.budget_id == literal_column("__parent__.id"))),
)


def listing_sql(make: Callable[..., Listing], table, *args, made_of: tuple = ()) -> tuple[render.Text, render.Text, tuple]:
    """A list's rule from its area, `make(table alias, *args)`: its conditions, order and key,
    rendered once per arguments and alias. `made_of` names the other definitions the rule calls,
    so a changed one is a new text."""

    def build():
        listing = make(table, *args)
        return render.text_of(listing.where), render.text_of(listing.order, ", "), listing.key

    return render.once((make, *made_of, table, *args), build)


def nested_page(c: Compiler, node, args: dict, type_name: str, *, parent: str, table, listing,
                of: str = "tenant_id") -> str:
    """A list of the row `parent` as a connection (first page only: a cursor into it goes to the
    executor): a tenant's, or with `of` the column naming a parent of that tenant (`meeting_id`).
    `listing(alias)` is its rule (`listing_sql`) on an alias of `table`."""
    if args.get("after") is not None:
        raise Unsupported("cursor on a nested list")
    first = page_bounds(args.get("first"))
    where, _, key = listing(aliased(table, "r"))
    token = c.param(json.dumps(key, default=str), "text")
    owner = [f"r.tenant_id = {parent}.id"] if of == "tenant_id" else [f"r.tenant_id = {parent}.tenant_id",
                                                                     f"r.{of} = {parent}.id"]
    conditions = " AND ".join([*owner, *([where.into(c)] if where.text else [])])
    return c.connection(
        type_name, node, source=f"FROM {table.name} r WHERE {conditions}",
        order=lambda alias: listing(aliased(table, alias))[1].into(c),
        first=first, offset=0, token=lambda page: sql.list_token(f"{page}.{of}", token),
    )


def owned_list(c: Compiler, node, type_name: str, table, parent: str, order, where=None, args: tuple = ()) -> str:
    """A tenant's rows of `table` as a JSON list of `type_name` objects; `order(alias)` and
    `where(alias, *args)` are the area's rules."""
    t = aliased(table, c.alias())
    conditions = [f"{t.name}.tenant_id = {parent}.id"]
    if where is not None:
        found = render.rule(c, (where, t, *args), lambda: where(t, *args))
        conditions += [found] if found else []
    ordered = render.rule(c, (order, t), lambda: order(t), ", ")
    return (f"(SELECT {sql.json_list(c.object(type_name, t.name, node), ordered)} "
            f"FROM {table.name} {t.name} WHERE {' AND '.join(conditions)})")


def chosen(args: dict) -> tuple | None:
    """A `status` argument as a key (the rule sorts it)."""
    return tuple(args["status"]) if args.get("status") else None


# ---- Query ---------------------------------------------------------------------------------

@compiles("Query", "tenants")
def _tenants(c: Compiler, row, node, args):
    listing = tenants.tenant_list(TENANTS, c.viewer, args.get("search"))
    listing_token = pagination.list_token(c.viewer.practice_id, listing.key)
    first = page_bounds(args.get("first"))
    offset = pagination.cursor_position(args.get("after"), listing_token)
    if offset is None:
        raise Unsupported("a cursor of another list")
    token = c.param(listing_token, "text")
    # The viewer's own list: rendered for this request (its key holds the visible tenants).
    def order(alias: str) -> str:
        t = aliased(tenants.TENANTS, alias)
        return render.rule(c, (tenants.tenant_order, t), lambda: tenants.tenant_order(t), ", ")

    return c.connection("Tenant", node, source=f"FROM tenants r WHERE {render.text_of(listing.where).into(c)}",
                        order=order, first=first, offset=offset, token=lambda page: token)


@compiles("Query", "tenant")
def _tenant(c: Compiler, row, node, args):
    key = ids.decode_as(args["id"], "Tenant")
    if key is None or not c.viewer.sees(key.id):
        return "NULL"
    t = aliased(tenants.TENANTS, c.alias())
    return (f"(SELECT {c.object('Tenant', t.name, node)} FROM tenants {t.name} "
            f"WHERE {t.name}.id = {c.param(key.id, 'uuid')} AND {render.rule(c, (tenants.active, t), lambda: tenants.active(t))})")


@compiles("Query", "portfolio")
def _portfolio(c: Compiler, row, node, args):
    """`build_portfolio` in one statement: the rows are a CTE of the viewer's active tenants with
    the month's score and figures beside each tenant's columns, computed by the definitions the
    health score's inputs use (app/health/inputs.py) and the portfolio's (app/api/portfolio.py)."""
    if not permissions.staff(c.viewer):
        raise Unsupported("portfolio: the executor answers FORBIDDEN")
    month = args.get("month")
    if month is None:
        c.volatile = True  # the default month is the clock's: such an answer is never stored
        month = last_full_month()
    t = aliased(tenants.TENANTS, c.alias())
    s, p = c.alias(), c.alias()
    # The tenants the executor's portfolio gathers inputs for: rendered for this request (the
    # conditions hold the visible set).
    where = render.text_of(inputs.batch_tenants(t, c.viewer.tenant_ids, c.viewer.practice_scope)).into(c)
    # The month's score row rides along whole (`_health`): the row's health is built from it, not read again.
    rows = (f"SELECT {t.name}.*, {c.param(month, 'date')} AS _month, {s}.score AS _score, {s} AS _health, "
            f"{portfolio_figures(c, t.name, month)} FROM tenants {t.name} LEFT JOIN health_scores {s} "
            f"ON {s}.tenant_id = {t.name}.id AND {s}.month = {c.param(month, 'date')} WHERE {where}")
    return (f"(WITH {p}_rows AS ({rows}) SELECT {c.object('Portfolio', p, node)} "
            f"FROM (SELECT {c.param(month, 'date')} AS month) AS {p})")


def portfolio_figures(c: Compiler, t: str, month) -> str:
    """The live figures of a portfolio row, as columns `_high`, `_tickets` and `_variance` of the tenant
    `t`. Open high risks are counted as of today (UTC), as the executor's `gather_inputs` counts them;
    a stored answer is keyed by the day (app/api/compiled/answers.py)."""
    tenant, today = value(f"{t}.id"), utc_today()

    def high():
        return (select(func.count()).select_from(HIGH_RISKS)
                .where(HIGH_RISKS.c.tenant_id == tenant, inputs.risk_level(HIGH_RISKS, today, formula.HIGH)).scalar_subquery())

    def tickets():
        totals = inputs.month_tickets(month, lambda column: column == tenant).subquery("totals")
        return select(totals.c.total).scalar_subquery()

    def variance():
        start = value(f"{t}.fiscal_year_start_month", Integer)
        year, elapsed = inputs.fiscal_year_of(month, start)
        figures = inputs.budget_figures(month, lambda column: column == tenant, lambda column: column == year, start)
        b = figures.subquery("figures")
        return select(portfolio.variance_percent(b.c.planned, b.c.actual, elapsed)).scalar_subquery()

    # Each key names every definition its rule is made of, so a changed one is a new text.
    high_key = (inputs.risk_level, inputs.active_risk, risk_rules.open_on, risk_rules.acceptance_expired, t, today)
    return ", ".join([
        f"{render.rule(c, high_key, high)} AS _high",
        f"{render.rule(c, (inputs.month_tickets, t, month), tickets)} AS _tickets",
        f"{render.rule(c, (portfolio.variance_percent, portfolio.tenth, inputs.budget_figures, inputs.fiscal_year_of, t, month), variance)} AS _variance",
    ])


columns("Portfolio", month=lambda p: sql.month(f"{p}.month"), tenantCount=lambda p: f"(SELECT count(*) FROM {p}_rows)")


@compiles("Portfolio", "averageScore")
def _average_score(c: Compiler, row, node, args):
    rule, score = portfolio.average_score, value("x._score", Integer)
    average = render.rule(c, (rule, portfolio.tenth), lambda: rule(func.sum(score), func.count(score)))
    return sql.value(f"(SELECT {sql.float_value('v.average')} FROM (SELECT {average} AS average FROM {row}_rows x) AS v)")


@compiles("Portfolio", "rows")
def _portfolio_rows(c: Compiler, row, node, args):
    r, rule = c.alias(), portfolio.row_order
    order = render.rule(c, (rule, r), lambda: rule(value(f"{r}._score", Integer), value(f"{r}.id")), ", ")
    return f"(SELECT {sql.json_list(c.object('PortfolioRow', r, node), order)} FROM {row}_rows {r})"


columns("PortfolioRow", openHighRisks=col("_high"), ticketsLastMonth=col("_tickets"),
        budgetVariancePercent=col("_variance", sql.float_value))


def ticket_target(c: Compiler, row: str) -> str:
    """`formula.ticket_target` of the employees of `row` (a tenant, or a portfolio row built on one)."""
    rule = formula.ticket_target
    return render.rule(c, (rule, row), lambda: rule(value(f"{row}.employee_count", Integer)))


compiles("PortfolioRow", "ticketTarget")(lambda c, row, node, args: sql.value(ticket_target(c, row)))


@compiles("PortfolioRow", "tenant")
def _row_tenant(c: Compiler, row, node, args):
    return c.object("Tenant", row, node)  # a row is its tenant's columns and its figures


@compiles("PortfolioRow", "health")
def _row_health(c: Compiler, row, node, args):
    h = c.alias()
    return (f"(SELECT {c.object('HealthScore', h, node)} FROM (SELECT ({row}._health).*) AS {h} "
            f"WHERE {h}.tenant_id IS NOT NULL)")


# ---- Tenant --------------------------------------------------------------------------------

columns(
    "Tenant",
    id=sql.global_id,
    version=col("version"), name=col("name"), slug=col("slug"), industry=col("industry"),
    employeeCount=col("employee_count"), fiscalYearStartMonth=col("fiscal_year_start_month"), currency=col("currency"),
)


@compiles("Tenant", "health")
def _health(c: Compiler, row, node, args):
    h = c.alias()
    month = f" AND {h}.month = {c.param(args['month'], 'date')}" if args.get("month") else ""
    return (f"(SELECT {c.object('HealthScore', h, node)} FROM health_scores {h} "
            f"WHERE {h}.tenant_id = {row}.id{month} ORDER BY {h}.month DESC LIMIT 1)")


@compiles("Tenant", "healthHistory")
def _health_history(c: Compiler, row, node, args):
    return owned_list(c, node, "HealthScore", health.SCORES, row, order=health.history_order,
                      where=health.history_window, args=(args["from"], args["to"]))


@compiles("Tenant", "risks")
def _risks(c: Compiler, row, node, args):
    return nested_page(c, node, args, "Risk", parent=row, table=risks.RISKS, listing=lambda t: listing_sql(
        risks.risk_list, t, chosen(args), args.get("minScore"), args.get("orderBy"), utc_today(),
        made_of=(risk_rules.status_on, risk_rules.acceptance_expired)))


@compiles("Tenant", "initiatives")
def _initiatives(c: Compiler, row, node, args):
    return nested_page(c, node, args, "Initiative", parent=row, table=planning.INITIATIVES, listing=lambda t: listing_sql(
        planning.initiative_list, t, chosen(args), args.get("orderBy")))


@compiles("Tenant", "vendors")
def _vendors(c: Compiler, row, node, args):
    return owned_list(c, node, "Vendor", vendors.VENDORS, row, order=vendors.vendor_order)


@compiles("Tenant", "policies")
def _policies(c: Compiler, row, node, args):
    """One per kind in the enum's order, MISSING (version 0) where none is recorded."""
    p = c.alias()
    kinds = c.param([k.value for k in PolicyKind], "text[]")
    recorded = ", ".join(  # a kind with no row takes policies.MISSING's values
        f"x.{name}" if value is None else
        f"coalesce(CAST(x.{name} AS text), {c.param(value.value, 'text')}) AS {name}" if name == "status" else
        f"coalesce(x.{name}, {c.param(value, 'integer')}) AS {name}"
        for name, value in policies.MISSING.items()
    )
    return (
        f"(SELECT {sql.json_list(c.object('Policy', p, node), f'{p}.n')} FROM (SELECT k.n, k.kind, {recorded} "
        f"FROM unnest({kinds}) WITH ORDINALITY AS k(kind, n) "
        f"LEFT JOIN policies x ON x.tenant_id = {row}.id AND CAST(x.kind AS text) = k.kind) AS {p})"
    )


@compiles("Tenant", "budget")
def _budget(c: Compiler, row, node, args):
    year = args["fiscalYear"]
    if not FIRST_FISCAL_YEAR <= year <= LAST_FISCAL_YEAR:
        return "NULL"
    b = c.alias()
    totals = sql.fill(BUDGET, parent=row, fiscal_year=c.param(year, "integer"))
    return f"(SELECT {c.object('Budget', b, node)} FROM ({totals}) AS {b})"


@compiles("Tenant", "ticketMetrics")
def _ticket_metrics(c: Compiler, row, node, args):
    start, end = args["from"], args["to"]
    if end < start or add_months(start, MAX_MONTHS) <= end:
        return sql.EMPTY_LIST
    m = c.alias()
    figures = sql.fill(TICKET_MONTHS, parent=row, **{"from": c.param(start, "date"), "to": c.param(end, "date")})
    return (f"(SELECT {sql.json_list(c.object('TicketMonth', m, node), f'{m}.month')} FROM (SELECT f.*, "
            f"{ticket_target(c, row)} AS target FROM ({figures}) AS f) AS {m})")


@compiles("Tenant", "nextSteeringMeeting")
@compiles("PortfolioRow", "nextSteeringMeeting")  # a portfolio row is its tenant's columns
def _next_meeting(c: Compiler, row, node, args):
    c.volatile = True  # "next" is relative to now(): such an answer is never stored
    s = aliased(steering.MEETINGS, c.alias())
    return (f"(SELECT {c.object('SteeringMeeting', s.name, node)} FROM steering_meetings {s.name} "
            f"WHERE {s.name}.tenant_id = {row}.id AND {render.rule(c, (steering.upcoming, s), lambda: steering.upcoming(s))} "
            f"ORDER BY {render.rule(c, (steering.meeting_order, s), lambda: steering.meeting_order(s), ', ')} LIMIT 1)")


@compiles("Tenant", "goals")
def _goals(c: Compiler, row, node, args):
    return owned_list(c, node, "BusinessGoal", goals.GOALS, row, order=goals.goal_order, where=goals.goal_year,
                      args=(args.get("fiscalYear"),))


@compiles("Tenant", "reviews")
def _reviews(c: Compiler, row, node, args):
    if c.viewer.kind == "api_key":
        raise Unsupported("reviews: the executor answers FORBIDDEN (standards.require_user)")
    return nested_page(c, node, args, "Review", parent=row, table=standards.REVIEWS,
                       listing=lambda t: listing_sql(standards.review_list, t))


@compiles("Tenant", "lifecycleForecast")
def _lifecycle_forecast(c: Compiler, row, node, args):
    """`tenant_forecast` in the statement. Its quarters (first month and labels) are the area's
    `forecast_quarters`, passed for each of the twelve fiscal year starts and picked by the
    tenant's; its figures are `forecast_query` on the tenant's row (`__tenant__`, `__first__`)."""
    try:
        quarters = lifecycle_actions.check_quarters(args.get("quarters"))
    except Invalid as error:
        raise Unsupported("quarters: the executor says why") from error
    c.volatile = True  # as of today: never stored
    day = lifecycle_actions.today()
    plans = [lifecycle_actions.forecast_quarters(day, start, quarters) for start in range(1, 13)]
    firsts = c.param([lifecycle_actions.month_index(first) for first, _ in plans], "integer[]")
    labels = c.param([label for _, quarter_labels in plans for label in quarter_labels], "text[]")
    count, start = c.param(quarters, "integer"), f"{row}.fiscal_year_start_month"

    def figures():
        starts = select(value("__tenant__").label("tenant_id"), value("__first__", Integer).label("first")).subquery("q")
        return lifecycle_actions.forecast_query(starts, day, quarters)

    key = (lifecycle_actions.forecast_query, lifecycle_rules.replacement_date, lifecycle_rules.in_service,
           lifecycle_actions.month_index, day, quarters)
    found = render.rule(c, key, figures, ", ").replace("__tenant__", f"{row}.id").replace("__first__", f"({firsts})[{start}]")
    q = c.alias()
    return (f"(SELECT {sql.json_list(c.object('LifecycleQuarter', q, node), f'{q}.i')} FROM (SELECT g.i, "
            f"({labels})[({start} - 1) * {count} + g.i + 1] AS quarter, coalesce(f.assets, 0) AS assets, "
            f"coalesce(f.cost, 0) AS cost FROM generate_series(0, {count} - 1) AS g(i) "
            f"LEFT JOIN ({found}) AS f ON f.quarter = g.i) AS {q})")


columns("LifecycleQuarter", quarter=col("quarter"), assets=col("assets"),
        replacementCost=lambda q: sql.decimal(f"CAST({q}.cost AS numeric(16, 2))"))


@compiles("Tenant", "steeringMeetings")
def _meetings(c: Compiler, row, node, args):
    return owned_list(c, node, "SteeringMeeting", steering.MEETINGS, row, order=steering.meeting_order,
                      where=steering.meeting_window, args=(args.get("from"), args.get("to")))


# ---- objects below a tenant ----------------------------------------------------------------

columns(
    "HealthScore",
    month=col("month", sql.month), score=col("score"), band=col("band"), formulaVersion=col("formula_version"),
    computedAt=col("computed_at", sql.datetime),
    change=lambda h: (f"{h}.score - (SELECT p.score FROM health_scores p WHERE p.tenant_id = {h}.tenant_id "
                      f"AND p.month = CAST({h}.month - interval '1 month' AS date))"),
)


@compiles("HealthScore", "components")
def _components(c: Compiler, row, node, args):
    e = c.alias()
    return (f"(SELECT {sql.json_list(c.object('HealthComponent', e, node), f'{e}.n')} "
            f"FROM jsonb_array_elements({row}.components) WITH ORDINALITY AS {e}(value, n))")


columns(
    "HealthComponent",
    key=lambda e: f"{e}.value ->> 'key'",
    score=lambda e: f"CAST({e}.value ->> 'score' AS integer)",
    weight=lambda e: sql.float_value(f"CAST({e}.value ->> 'weight' AS float8)"),
    explanation=lambda e: f"{e}.value ->> 'explanation'",
)

columns(
    "Risk",
    id=sql.global_id, version=col("version"), title=col("title"), category=col("category"),
    likelihood=col("likelihood"), impact=col("impact"), score=col("score"), owner=col("owner"),
    reviewDue=col("review_due"), mitigation=col("mitigation"), treatment=col("treatment"),
    description=col("description"), acceptedUntil=col("accepted_until"),
)


@compiles("Risk", "status")
def _risk_status(c: Compiler, row, node, args):
    """As the risk reads today (`risk_rules.status_on`); a stored answer is keyed by the day."""
    t, today = aliased(risks.RISKS, row), utc_today()
    key = (risk_rules.status_on, risk_rules.acceptance_expired, row, today)
    return sql.value(render.rule(c, key, lambda: risk_rules.status_on(t.c.status, t.c.accepted_until, today)))


@compiles("Risk", "decision")
def _risk_decision(c: Compiler, row, node, args):
    """The latest decision about the risk (`decisions.latest_decision`): the register's order, first row."""
    d = aliased(decisions.DECISIONS, c.alias())
    order = render.rule(c, (decisions.register_order, d), lambda: decisions.register_order(d), ", ")
    return (f"(SELECT {c.object('Decision', d.name, node)} FROM decisions {d.name} "
            f"WHERE {d.name}.tenant_id = {row}.tenant_id AND {d.name}.risk_id = {row}.id ORDER BY {order} LIMIT 1)")


columns(
    "Decision",
    id=sql.global_id, kind=col("kind"), summary=col("summary"), reason=col("reason"),
    decidedAt=col("decided_at", sql.datetime), expiresOn=col("expires_on"),
)


@compiles("Tenant", "decisions")
def _decisions(c: Compiler, row, node, args):
    return nested_page(c, node, args, "Decision", parent=row, table=decisions.DECISIONS,
                       listing=lambda t: listing_sql(decisions.register_list, t))


@compiles("Decision", "decidedBy")
def _decided_by(c: Compiler, row, node, args):
    u = aliased(decisions.USERS, c.alias())
    practice = render.text_of(decisions.deciders(u, c.viewer.practice_id)).into(c)  # the viewer's: not kept
    return f"(SELECT {c.object('User', u.name, node)} FROM users {u.name} WHERE {u.name}.id = {row}.decided_by AND {practice})"


def named(type_name: str, table, column: str):
    """A decision's initiative or risk (`Decision._named`): the row of the decision's tenant it names, if any."""
    def compile_field(c: Compiler, row, node, args):
        n = c.alias()
        return (f"(SELECT {c.object(type_name, n, node)} FROM {table.name} {n} "
                f"WHERE {n}.tenant_id = {row}.tenant_id AND {n}.id = {row}.{column})")

    compiles("Decision", type_name[0].lower() + type_name[1:])(compile_field)


named("Initiative", planning.INITIATIVES, "initiative_id")
named("Risk", risks.RISKS, "risk_id")

columns(
    "BusinessGoal",
    id=sql.global_id, version=col("version"), title=col("title"), fiscalYear=col("fiscal_year"),
    function=col("function"), kpi=col("kpi"), baseline=col("baseline", sql.float_value),
    target=col("target", sql.float_value), current=col("current", sql.float_value), status=col("status"),
)

columns(
    "Review",
    id=sql.global_id, version=col("version"), status=col("status"), startedAt=col("started_at", sql.datetime),
    completedAt=col("completed_at", sql.datetime), alignmentScore=col("alignment_score"),
)


@compiles("Review", "answers")
def _answers(c: Compiler, row, node, args):
    """In the library's order (`standards.review_answers`)."""
    a, s = c.alias(), aliased(standards.STANDARDS, c.alias())
    order = render.rule(c, (library_order, s), lambda: library_order(s), ", ")
    return (f"(SELECT {sql.json_list(c.object('ReviewAnswer', a, node), order)} FROM review_answers {a} "
            f"JOIN standards {s.name} ON {s.name}.id = {a}.standard_id "
            f"WHERE {a}.tenant_id = {row}.tenant_id AND {a}.review_id = {row}.id)")


columns("ReviewAnswer", alignment=col("alignment"), note=col("note"))


@compiles("ReviewAnswer", "standard")
def _standard(c: Compiler, row, node, args):
    s = aliased(standards.STANDARDS, c.alias())
    practice = render.text_of(standards.of_practice(s, c.viewer.practice_id)).into(c)  # the viewer's: not kept
    return f"(SELECT {c.object('Standard', s.name, node)} FROM standards {s.name} WHERE {s.name}.id = {row}.standard_id AND {practice})"


columns(
    "Standard",
    id=sql.global_id, version=col("version"), section=col("section"), title=col("title"), question=col("question"),
    whyItMatters=col("why_it_matters"), priority=col("priority"), active=col("active"),
)

columns("User", email=col("email"), name=col("name"), role=col("role"))

columns(
    "Initiative",
    id=sql.global_id, version=col("version"), title=col("title"), status=col("status"),
    priority=col("priority"), targetMonth=col("target_month", sql.month), costEstimate=col("cost_estimate", sql.decimal),
    recurringCostPerYear=col("recurring_cost_per_year", sql.decimal),
    hoursSavedPerMonth=col("hours_saved_per_month", sql.float_value),
    revenueAtRisk=col("revenue_at_risk", sql.decimal), description=col("description"),
)

columns(
    "Vendor",
    id=sql.global_id, version=col("version"), name=col("name"),
    relationship=col("relationship"), annualCost=col("annual_cost", sql.decimal), contractEnd=col("contract_end"),
)

columns(
    "Policy",
    kind=col("kind"), status=col("status"), approvedOn=col("approved_on"),
    reviewIntervalMonths=col("review_interval_months"), documentUrl=col("document_url"), version=col("version"),
)

@compiles("Policy", "reviewDue")
def _review_due(c: Compiler, row, node, args):
    rule = policy_actions.review_due
    return sql.value(render.rule(c, (rule, row), lambda: rule(value(f"{row}.approved_on", Date),
                                                              value(f"{row}.review_interval_months", Integer))))


columns(
    "Budget",
    fiscalYear=col("fiscal_year"), currency=col("currency"), planned=col("planned", sql.decimal),
    actual=col("actual", sql.decimal),
    firstMonth=lambda b: sql.month(f"make_date({b}.fiscal_year, {b}.fiscal_year_start_month, 1)"),
    lastMonth=lambda b: sql.month(f"make_date({b}.fiscal_year, {b}.fiscal_year_start_month, 1) + interval '11 months'"),
)




@compiles("Budget", "lines")
def _budget_lines(c: Compiler, row, node, args):
    line = c.alias()
    rows = sql.fill(BUDGET_LINES, parent=row)
    return f"(SELECT {sql.json_list(c.object('BudgetLine', line, node), f'{line}.name, {line}.id')} FROM ({rows}) AS {line})"


columns(
    "BudgetLine",
    id=sql.global_id, version=col("version"), name=col("name"), kind=col("kind"), category=col("category"),
    planned=col("planned", sql.decimal), actual=col("actual", sql.decimal),
)


columns(
    "TicketMonth",
    month=col("month", sql.month), support=col("support"), change=col("change"), alert=col("alert"),
    total=lambda m: f"{m}.support + {m}.change + {m}.alert", target=col("target"),
)


def attendees(c: Compiler, row: str, item: Callable[[str], str]) -> str:
    a = c.alias()
    return (f"(SELECT {sql.json_list(item(a), f'{a}.n')} FROM jsonb_array_elements(coalesce({row}.attendees, "
            f"CAST('[]' AS jsonb))) WITH ORDINALITY AS {a}(value, n))")


columns(
    "SteeringMeeting",
    id=sql.global_id, version=col("version"),
    scheduledAt=col("scheduled_at", sql.datetime), status=col("status"),
    agenda=lambda row: f"to_json(coalesce({row}.agenda, CAST('{{}}' AS text[])))",
    decisions=lambda row: f"to_json(coalesce({row}.decisions, CAST('{{}}' AS text[])))",
)


@compiles("SteeringMeeting", "attendees")
def _attendees(c: Compiler, row, node, args):
    rule = steering_actions.attendee_label
    return attendees(c, row, lambda a: sql.value(render.rule(c, (rule, a), lambda: rule(
        value(f"({a}.value ->> 'name')"), value(f"({a}.value ->> 'function')")))))


@compiles("SteeringMeeting", "attendeeDetails")
def _attendee_details(c: Compiler, row, node, args):
    return attendees(c, row, lambda a: c.object("Attendee", a, node))


@compiles("SteeringMeeting", "actionItems")
def _action_items(c: Compiler, row, node, args):
    return nested_page(c, node, args, "ActionItem", parent=row, table=steering.ITEMS, of="meeting_id",
                       listing=lambda t: listing_sql(steering.action_item_list, t, args.get("status")))


columns(
    "ActionItem",
    version=col("version"), title=col("title"), owner=col("owner"), dueOn=col("due_on"), status=col("status"),
)

columns("Attendee", name=lambda a: f"{a}.value ->> 'name'", function=lambda a: f"{a}.value ->> 'function'")
