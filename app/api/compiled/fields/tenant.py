"""`Query.tenants`, `Query.tenant` and the fields of a tenant: its lists, its latest score and
history, its budget and ticket metrics, its goals, reviews, lifecycle forecast and meetings."""

from __future__ import annotations

from sqlalchemy import Integer, literal_column, select

from app.api import (
    goals,
    health,
    ids,
    pagination,
    planning,
    policies,
    risks,
    standards,
    steering,
    tenants,
    vendors,
)
from app.api.budgets import BUDGETS, budget_totals
from app.api.compiled import render, sql
from app.api.compiled.compiler import Compiler, Unsupported, compiles, page_bounds
from app.api.compiled.fields.common import (
    aliased,
    chosen,
    col,
    columns,
    fiscal_year_row,
    listing_sql,
    nested_page,
    on_fiscal_year,
    owned_list,
    ticket_target,
    value,
)
from app.api.tickets import MAX_MONTHS
from app.budgets.actions import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR
from app.errors import Invalid
from app.lifecycle import actions as lifecycle_actions
from app.lifecycle import rules as lifecycle_rules
from app.months import add_months, utc_today
from app.planning import roadmap
from app.policies.models import PolicyKind
from app.risks import rules as risk_rules
from app.tickets.figures import month_figures
from app.tickets.models import TicketMonth as MonthRow

TENANTS = aliased(tenants.TENANTS, "r")

TICKET_MONTHS = sql.core(
    select(MonthRow.month, *month_figures())
    .where(MonthRow.tenant_id == literal_column("__tenant__"),
           MonthRow.month.between(literal_column("__from__"), literal_column("__to__")))
    .group_by(MonthRow.month)
)
BUDGET = sql.core(
    budget_totals(literal_column("__tenant__")).where(BUDGETS.c.tenant_id == literal_column("__tenant__"),
                          BUDGETS.c.fiscal_year == literal_column("__fiscal_year__"))
)


@compiles("Query", "tenants")
def _tenants(c: Compiler, row, node, args):
    listing = tenants.tenant_list(TENANTS, c.viewer, args.get("search"))
    listing_token = pagination.list_token(c.viewer.practice_id, listing.key)
    first = page_bounds(args.get("first"))
    offset = pagination.cursor_position(args.get("after"), listing_token)
    if offset is None:
        raise Unsupported("a cursor of another list")
    # The viewer's own list: rendered for this request (its key holds the visible tenants).
    def order(alias: str) -> str:
        t = aliased(tenants.TENANTS, alias)
        return render.rule(c, (tenants.tenant_order, t), lambda: tenants.tenant_order(t), ", ")

    return c.connection("Tenant", node, source=f"FROM tenants r WHERE {render.text_of(listing.where).into(c)}",
                        order=order, first=first, offset=offset, token=lambda page: c.param(listing_token, "text"),
                        total=listing.total)


@compiles("Query", "tenant")
def _tenant(c: Compiler, row, node, args):
    key = ids.decode_as(args["id"], "Tenant")
    if key is None or not c.viewer.sees(key.id):
        c.root_reads()
        return "NULL"
    c.root_reads(key.id)
    t = aliased(tenants.TENANTS, c.alias())
    pinned = c.pinned = c.param(key.id, "uuid")
    try:
        tenant = c.object("Tenant", t.name, node)
    finally:
        c.pinned = None
    return (f"(SELECT {tenant} FROM tenants {t.name} "
            f"WHERE {t.name}.id = {pinned} AND {render.rule(c, (tenants.active, t), lambda: tenants.active(t))})")


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
            f"WHERE {h}.tenant_id = {c.tenant_of(row, 'id')}{month} ORDER BY {h}.month DESC LIMIT 1)")


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
        f"LEFT JOIN (SELECT * FROM policies x WHERE x.tenant_id = {c.tenant_of(row, 'id')}) AS x "
        f"ON CAST(x.kind AS text) = k.kind) AS {p})"
    )


@compiles("Tenant", "budget")
def _budget(c: Compiler, row, node, args):
    year = args["fiscalYear"]
    if not FIRST_FISCAL_YEAR <= year <= LAST_FISCAL_YEAR:
        return "NULL"
    b = c.alias()
    totals = sql.fill(BUDGET, tenant=c.tenant_of(row, "id"), fiscal_year=c.param(year, "integer"))
    return f"(SELECT {c.object('Budget', b, node)} FROM ({totals}) AS {b})"


@compiles("Tenant", "roadmap")
def _roadmap(c: Compiler, row, node, args):
    """`roadmap.quarters_query` on the tenant's fiscal year (as the executor's `tenant_roadmap`)."""
    year = args["fiscalYear"]
    if not FIRST_FISCAL_YEAR <= year <= LAST_FISCAL_YEAR:
        raise Unsupported("fiscalYear: the executor says why")
    key = (roadmap.quarters_query, roadmap.quarter_of, roadmap.on_roadmap, lifecycle_actions.fiscal_quarter_label,
           lifecycle_actions.month_index)
    quarters = render.rule(c, key, lambda: roadmap.quarters_query(fiscal_year_row()), ", ")
    found = on_fiscal_year(quarters, c.tenant_of(row, "id"), f"make_date({c.param(year, 'integer')}, {row}.fiscal_year_start_month, 1)")
    q = c.alias()
    return f"(SELECT {sql.json_list(c.object('RoadmapQuarter', q, node), f'{q}.n')} FROM ({found}) AS {q})"


@compiles("Tenant", "ticketMetrics")
def _ticket_metrics(c: Compiler, row, node, args):
    start, end = args["from"], args["to"]
    if end < start or add_months(start, MAX_MONTHS) <= end:
        return sql.EMPTY_LIST
    m = c.alias()
    figures = sql.fill(TICKET_MONTHS, tenant=c.tenant_of(row, "id"), **{"from": c.param(start, "date"), "to": c.param(end, "date")})
    return (f"(SELECT {sql.json_list(c.object('TicketMonth', m, node), f'{m}.month')} FROM (SELECT f.*, "
            f"{ticket_target(c, row)} AS target FROM ({figures}) AS f) AS {m})")


@compiles("Tenant", "nextSteeringMeeting")
@compiles("PortfolioRow", "nextSteeringMeeting")  # a portfolio row is its tenant's columns
def _next_meeting(c: Compiler, row, node, args):
    c.clock = True
    s = aliased(steering.MEETINGS, c.alias())
    return (f"(SELECT {c.object('SteeringMeeting', s.name, node)} FROM steering_meetings {s.name} "
            f"WHERE {s.name}.tenant_id = {c.tenant_of(row, 'id')} AND {render.rule(c, (steering.upcoming, s), lambda: steering.upcoming(s))} "
            f"ORDER BY {render.rule(c, (steering.meeting_order, s), lambda: steering.meeting_order(s), ', ')} LIMIT 1)")


def next_meeting_change(c: Compiler, tenant_ids) -> str:
    """When the next meetings of `tenant_ids` may next change without a write: the earliest of them
    (NULL when none has one: then none ever will). Until then each tenant's next meeting stays
    next, so an answer holding them is stored until then (app/api/compiled/answers.py)."""
    s = aliased(steering.MEETINGS, c.alias())
    return (f"(SELECT min({s.name}.scheduled_at) FROM steering_meetings {s.name} "
            f"WHERE {s.name}.tenant_id = ANY({c.param(sorted(tenant_ids), 'uuid[]')}) "
            f"AND {render.rule(c, (steering.upcoming, s), lambda: steering.upcoming(s))})")


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
    day = lifecycle_actions.today()  # as of today: a stored answer is keyed by the UTC day

    def plans():  # the same for every request of the day: kept
        found = [lifecycle_actions.forecast_quarters(day, start, quarters) for start in range(1, 13)]
        return ([lifecycle_actions.month_index(first) for first, _ in found],
                [label for _, quarter_labels in found for label in quarter_labels])

    first_months, quarter_labels = render.once((lifecycle_actions.forecast_quarters, lifecycle_actions.quarter_label,
                                                lifecycle_actions.fiscal_quarter_label, day, quarters), plans)
    firsts, labels = c.param(first_months, "integer[]"), c.param(quarter_labels, "text[]")
    count, start = c.param(quarters, "integer"), f"{row}.fiscal_year_start_month"

    def figures():
        starts = select(value("__tenant__").label("tenant_id"), value("__first__", Integer).label("first")).subquery("q")
        return lifecycle_actions.forecast_query(starts, day, quarters)

    key = (lifecycle_actions.forecast_query, lifecycle_rules.replacement_date, lifecycle_rules.in_service,
           lifecycle_actions.month_index, day, quarters)
    found = render.rule(c, key, figures, ", ").replace("__tenant__", c.tenant_of(row, "id")).replace("__first__", f"({firsts})[{start}]")
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


