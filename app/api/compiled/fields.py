"""What each compiled field is in SQL: the same rows, filters and order as its resolver.

Orders, filters, list tokens and the ticket and budget figures come from the resolvers' own
modules, so a change there changes both paths; the equivalence tests catch any other drift.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from sqlalchemy import literal_column, select
from sqlalchemy.dialects import postgresql

from app.api import ids, pagination
from app.api.budgets import BUDGETS, budget_totals
from app.api.compiled import sql
from app.api.compiled.compiler import Compiler, Unsupported, compiles, page_bounds
from app.api.planning import ORDERS as INITIATIVE_ORDERS
from app.api.planning import InitiativeOrder
from app.api.risks import ORDERS as RISK_ORDERS
from app.api.risks import RiskOrder
from app.api.steering import utc_day
from app.api.tenants import visible_tenant_list
from app.api.tickets import MAX_MONTHS
from app.budgets.actions import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR
from app.months import add_months
from app.policies import actions as policy_actions
from app.policies.models import PolicyKind
from app.tickets.figures import month_figures
from app.tickets.models import TicketMonth as MonthRow


def columns(type_name: str, **fields: Callable[[str], str]) -> None:
    """Fields that are an expression of their row only."""
    for name, expression in fields.items():
        compiles(type_name, name)(lambda c, row, node, args, expression=expression: expression(row))


def col(name: str, convert: Callable[[str], str] | None = None) -> Callable[[str], str]:
    return (lambda row: convert(f"{row}.{name}")) if convert else (lambda row: f"{row}.{name}")


def order_sql(orders: list, table: str) -> str:
    """A resolver's ORDER BY (SQLAlchemy expressions) as SQL on the alias `r`."""
    compiled = ", ".join(str(o.compile(dialect=postgresql.dialect())) for o in orders)
    return compiled.replace(f"{table}.", "r.")


RISK_ORDER_SQL = {o.value: order_sql(RISK_ORDERS[o], "risks") for o in RiskOrder}
INITIATIVE_ORDER_SQL = {o.value: order_sql(INITIATIVE_ORDERS[o], "initiatives") for o in InitiativeOrder}

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


def nested_page(c: Compiler, node, args: dict, type_name: str, *, parent: str, table: str, where: list[str],
                filters: tuple, order: str) -> str:
    """A tenant's list as a connection (first page only: a cursor into it goes to the executor)."""
    if args.get("after") is not None:
        raise Unsupported("cursor on a nested list")
    first = page_bounds(args.get("first"))
    token = c.param(json.dumps(filters, default=str), "text")
    return c.connection(
        type_name, node, source=f"FROM {table} r WHERE {' AND '.join([f'r.tenant_id = {parent}.id', *where])}",
        order=order, first=first, offset=0, token=lambda page: sql.list_token(f"{page}.tenant_id", token),
    )


def owned_list(c: Compiler, node, type_name: str, table: str, alias: str, parent: str, order: str,
               where: tuple[str, ...] = ()) -> str:
    """A tenant's rows of `table` (as `alias`) as a JSON list of `type_name` objects, in `order`."""
    conditions = " AND ".join([f"{alias}.tenant_id = {parent}.id", *where])
    return f"(SELECT {sql.json_list(c.object(type_name, alias, node), order)} FROM {table} {alias} WHERE {conditions})"


def statuses(c: Compiler, args: dict, enum_type: str) -> tuple[tuple | None, list[str]]:
    """The `status` filter as the resolvers key it (sorted values) and as SQL on the enum column."""
    chosen = tuple(sorted(args["status"])) if args.get("status") else None
    return chosen, [f"r.status = ANY({c.param(list(chosen), enum_type + '[]')})"] if chosen else []


# ---- Query ---------------------------------------------------------------------------------

@compiles("Query", "tenants")
def _tenants(c: Compiler, row, node, args):
    listing = visible_tenant_list(c.viewer, args.get("search"))
    first = page_bounds(args.get("first"))
    offset = pagination.cursor_position(args.get("after"), listing.token)
    if offset is None:
        raise Unsupported("a cursor of another list")
    where = f"r.id = ANY({c.param(listing.visible, 'uuid[]')}) AND r.status = 'ACTIVE'"
    if listing.pattern:
        where += f" AND r.name ILIKE {c.param(listing.pattern, 'text')}"
    token = c.param(listing.token, "text")
    return c.connection("Tenant", node, source=f"FROM tenants r WHERE {where}", order="r.name, r.id",
                        first=first, offset=offset, token=lambda page: token)


@compiles("Query", "tenant")
def _tenant(c: Compiler, row, node, args):
    key = ids.decode_as(args["id"], "Tenant")
    if key is None or not c.viewer.sees(key.id):
        return "NULL"
    t = c.alias()
    return (f"(SELECT {c.object('Tenant', t, node)} FROM tenants {t} "
            f"WHERE {t}.id = {c.param(key.id, 'uuid')} AND {t}.status = 'ACTIVE')")


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
    h = c.alias()
    between = f"{h}.month BETWEEN {c.param(args['from'], 'date')} AND {c.param(args['to'], 'date')}"
    return owned_list(c, node, "HealthScore", "health_scores", h, row, f"{h}.month", (between,))


@compiles("Tenant", "risks")
def _risks(c: Compiler, row, node, args):
    chosen, where = statuses(c, args, "risk_status")
    min_score = args.get("minScore")
    if min_score is not None:
        where.append(f"r.score >= {c.param(min_score, 'integer')}")
    order = args.get("orderBy") or RiskOrder.SCORE_DESC.value
    return nested_page(c, node, args, "Risk", parent=row, table="risks", where=where,
                       filters=(chosen, min_score, order), order=RISK_ORDER_SQL[order])


@compiles("Tenant", "initiatives")
def _initiatives(c: Compiler, row, node, args):
    chosen, where = statuses(c, args, "initiative_status")
    order = args.get("orderBy") or InitiativeOrder.TARGET_MONTH_ASC.value
    return nested_page(c, node, args, "Initiative", parent=row, table="initiatives", where=where,
                       filters=(chosen, order), order=INITIATIVE_ORDER_SQL[order])


@compiles("Tenant", "vendors")
def _vendors(c: Compiler, row, node, args):
    v = c.alias()
    return owned_list(c, node, "Vendor", "vendors", v, row, f"{v}.name, {v}.id")


@compiles("Tenant", "policies")
def _policies(c: Compiler, row, node, args):
    """One per kind in the enum's order, MISSING (version 0) where none is recorded."""
    p = c.alias()
    kinds = c.param([k.value for k in PolicyKind], "text[]")
    default_interval = c.param(policy_actions.DEFAULT_REVIEW_INTERVAL, "integer")
    return (
        f"(SELECT {sql.json_list(c.object('Policy', p, node), f'{p}.n')} FROM ("
        f"SELECT k.n, k.kind, coalesce(CAST(x.status AS text), 'MISSING') AS status, x.approved_on, "
        f"coalesce(x.review_interval_months, {default_interval}) AS review_interval_months, x.document_url, "
        f"coalesce(x.version, 0) AS version FROM unnest({kinds}) WITH ORDINALITY AS k(kind, n) "
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
        return "CAST('[]' AS json)"
    m = c.alias()
    figures = sql.fill(TICKET_MONTHS, parent=row, **{"from": c.param(start, "date"), "to": c.param(end, "date")})
    # The target is formula.ticket_target of the tenant's employees: max(1, employees // 5).
    return (f"(SELECT {sql.json_list(c.object('TicketMonth', m, node), f'{m}.month')} FROM (SELECT f.*, "
            f"greatest(1, {row}.employee_count / 5) AS target FROM ({figures}) AS f) AS {m})")


@compiles("Tenant", "nextSteeringMeeting")
def _next_meeting(c: Compiler, row, node, args):
    c.volatile = True  # "next" is relative to now(): such an answer is never stored
    s = c.alias()
    return (f"(SELECT {c.object('SteeringMeeting', s, node)} FROM steering_meetings {s} WHERE {s}.tenant_id = {row}.id "
            f"AND {s}.status = 'SCHEDULED' AND {s}.scheduled_at >= now() ORDER BY {s}.scheduled_at, {s}.id LIMIT 1)")


@compiles("Tenant", "steeringMeetings")
def _meetings(c: Compiler, row, node, args):
    s = c.alias()
    where = []
    if args.get("from") is not None:
        where.append(f"{s}.scheduled_at >= {c.param(utc_day(args['from']), 'timestamptz')}")
    if args.get("to") is not None and args["to"] < args["to"].max:
        where.append(f"{s}.scheduled_at < {c.param(utc_day(args['to']) + dt.timedelta(days=1), 'timestamptz')}")
    return owned_list(c, node, "SteeringMeeting", "steering_meetings", s, row, f"{s}.scheduled_at, {s}.id", tuple(where))


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
    status=col("status"), likelihood=col("likelihood"), impact=col("impact"), score=col("score"), owner=col("owner"),
    reviewDue=col("review_due"), mitigation=col("mitigation"), treatment=col("treatment"),
    description=col("description"),
)

columns(
    "Initiative",
    id=sql.global_id, version=col("version"), title=col("title"), status=col("status"),
    priority=col("priority"), targetMonth=col("target_month", sql.month), costEstimate=col("cost_estimate", sql.decimal),
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
    # policies.actions.review_due: approved_on plus the interval, clamped to the month's last day.
    reviewDue=lambda p: f"CAST({p}.approved_on + make_interval(months => {p}.review_interval_months) AS date)",
)

columns(
    "Budget",
    fiscalYear=col("fiscal_year"), currency=col("currency"), planned=col("planned", sql.decimal),
    actual=col("actual", sql.decimal),
    firstMonth=lambda b: sql.month(f"make_date({b}.fiscal_year, {b}.fiscal_year_start_month, 1)"),
    lastMonth=lambda b: sql.month(f"make_date({b}.fiscal_year, {b}.fiscal_year_start_month, 1) + interval '11 months'"),
)


columns(
    "TicketMonth",
    month=col("month", sql.month), support=col("support"), change=col("change"), alert=col("alert"),
    total=lambda m: f"{m}.support + {m}.change + {m}.alert", target=col("target"),
)


def attendee_label(a: str) -> str:
    """steering.actions.attendee_label: "Name (Function)", or the name when there is no function."""
    return (f"CASE WHEN coalesce({a}.value ->> 'function', '') = '' THEN {a}.value ->> 'name' "
            f"ELSE ({a}.value ->> 'name') || ' (' || ({a}.value ->> 'function') || ')' END")


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
    return attendees(c, row, attendee_label)


@compiles("SteeringMeeting", "attendeeDetails")
def _attendee_details(c: Compiler, row, node, args):
    return attendees(c, row, lambda a: c.object("Attendee", a, node))


columns("Attendee", name=lambda a: f"{a}.value ->> 'name'", function=lambda a: f"{a}.value ->> 'function'")
