"""The objects below a tenant: score components, risks and their decisions, decisions, goals,
reviews and their answers, initiatives, vendors, policies, budget lines and meetings."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Date, Integer, Numeric, func, literal, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import UUID, array

from app.api import (
    decisions,
    goals,
    planning,
    risks,
    standards,
    steering,
)
from app.api.budgets import LINES, lines_with_actual
from app.api.compiled import render, sql
from app.api.compiled.compiler import Compiler, Unsupported, compiles
from app.api.compiled.fields.common import (
    aliased,
    col,
    columns,
    fiscal_year_row,
    listing_sql,
    nested_page,
    on_fiscal_year,
    value,
)
from app.budgets import forecast
from app.db import global_ids
from app.health import inputs
from app.lifecycle import actions as lifecycle_actions
from app.lifecycle import rules as lifecycle_rules
from app.months import utc_today
from app.planning import roadmap
from app.planning.roadmap import on_roadmap
from app.policies import actions as policy_actions
from app.risks import rules as risk_rules
from app.rules import is_sql
from app.standards.actions import library_order
from app.steering import actions as steering_actions
from app.steering import agenda

# A budget's lines with their actual, as the executor reads them; their Relay ids are not stored,
# so the statement encodes them (app/db/global_ids.py) over the lines' own columns.
BUDGET_LINES = "SELECT l.*, {gid} AS gid FROM ({lines}) AS l".format(
    gid=global_ids.expression("BudgetLine"),
    lines=sql.core(lines_with_actual().where(LINES.c.tenant_id == literal_column("__tenant__"),
                                             LINES.c.budget_id == literal_column("__parent__.id"))),
)



columns(
    "HealthScore",
    month=col("month", sql.month), score=col("score"), band=col("band"), formulaVersion=col("formula_version"),
    computedAt=col("computed_at", sql.datetime),
)


@compiles("HealthScore", "change")
def _change(c: Compiler, h, node, args):
    """The latest score before the month, kept if it is the month before's. Row security checks a
    row before any condition that is not leakproof (`h.month - interval`), so an equality on the
    month before would have every month of the tenant's scores checked; `p.month < h.month` is
    leakproof, so the index finds the one row first."""
    return sql.value(f"{h}.score - (SELECT p.score FROM (SELECT p.month, p.score FROM health_scores p "
                     f"WHERE p.tenant_id = {c.tenant_of(h)} AND p.month < {h}.month ORDER BY p.month DESC LIMIT 1) AS p "
                     f"WHERE p.month = CAST({h}.month - interval '1 month' AS date))")


@compiles("HealthScore", "components")
def _components(c: Compiler, row, node, args):
    e = c.alias()
    # Each component's fields are read from the JSON once, typed (a field read as `value ->> 'weight'`
    # was looked up and parsed again by each of the several uses its float's text makes of it).
    return (f"(SELECT {sql.json_list(c.object('HealthComponent', e, node), f'{e}.n')} "
            f"FROM ROWS FROM (jsonb_to_recordset({row}.components) "
            f"AS (key text, score integer, weight float8, explanation text)) "
            f"WITH ORDINALITY AS {e}(key, score, weight, explanation, n))")


columns("HealthComponent", key=col("key"), score=col("score"), weight=col("weight", sql.float_value),
        explanation=col("explanation"))

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
            f"WHERE {d.name}.tenant_id = {c.tenant_of(row)} AND {d.name}.risk_id = {row}.id ORDER BY {order} LIMIT 1)")


columns(
    "Decision",
    id=sql.global_id, kind=col("kind"), summary=col("summary"), reason=col("reason"),
    decidedAt=col("decided_at", sql.datetime), expiresOn=col("expires_on"),
)


@compiles("Tenant", "decisions")
def _decisions(c: Compiler, row, node, args):
    return nested_page(c, node, args, "Decision", parent=row, table=decisions.DECISIONS,
                       listing=lambda t: listing_sql(decisions.register_list, t))


def of_practice(owner: str, field: str, type_name: str, table, column: str, module, rule: str):
    """A row of a practice-wide table (a decision's user, an answer's standard) that the owner's
    `column` names, if the viewer's practice has it: `module.rule(table alias, practice)`, looked
    up at compile time and rendered once per practice."""
    def compile_field(c: Compiler, row, node, args):
        t, viewer = aliased(table, c.alias()), c.viewer.practice_id
        define = getattr(module, rule)
        practice = render.rule(c, (define, t, viewer), lambda: define(t, viewer))
        return (f"(SELECT {c.object(type_name, t.name, node)} FROM {table.name} {t.name} "
                f"WHERE {t.name}.id = {row}.{column} AND {practice})")

    compiles(owner, field)(compile_field)


of_practice("Decision", "decidedBy", "User", decisions.USERS, "decided_by", decisions, "deciders")


def named(owner: str, field: str, type_name: str, table, column: str):
    """A decision's initiative or risk (`Decision._named`), an initiative's goal: the row of the
    owner's tenant that its `column` names, if any."""
    def compile_field(c: Compiler, row, node, args):
        n = c.alias()
        return (f"(SELECT {c.object(type_name, n, node)} FROM {table.name} {n} "
                f"WHERE {n}.tenant_id = {c.tenant_of(row)} AND {n}.id = {row}.{column})")

    compiles(owner, field)(compile_field)


named("Decision", "initiative", "Initiative", planning.INITIATIVES, "initiative_id")
named("Decision", "risk", "Risk", risks.RISKS, "risk_id")
named("Initiative", "goal", "BusinessGoal", goals.GOALS, "goal_id")


@compiles("RoadmapQuarter", "initiatives")
def _quarter_initiatives(c: Compiler, row, node, args):
    """The initiatives on the roadmap in the quarter `row` of `quarters_query`, as `roadmap_initiatives` orders them."""
    t = aliased(planning.INITIATIVES, c.alias())
    first, last, n = value(f"{row}.year_first", Date), value(f"{row}.year_last", Date), value(f"{row}.n", Integer)
    where = render.rule(c, (roadmap.on_roadmap, roadmap.quarter_of, lifecycle_actions.month_index, t, row), lambda: [
        *roadmap.on_roadmap(t, first, last), roadmap.quarter_of(t.c.target_month, first) == n])
    order = render.rule(c, (planning.initiative_list, t), lambda: planning.initiative_list(t, None, None).order, ", ")
    return (f"(SELECT {sql.json_list(c.object('Initiative', t.name, node), order)} FROM initiatives {t.name} "
            f"WHERE {t.name}.tenant_id = {c.tenant_of(row)} AND {where})")


columns("RoadmapQuarter", quarter=col("quarter"), oneTimeCost=col("one_time_cost", sql.decimal),
        recurringCostPerYear=col("recurring_cost_per_year", sql.decimal),
        hoursSavedPerMonth=col("hours_saved_per_month", sql.float_value), revenueAtRisk=col("revenue_at_risk", sql.decimal))

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
            f"WHERE {a}.tenant_id = {c.tenant_of(row)} AND {a}.review_id = {row}.id)")


columns("ReviewAnswer", alignment=col("alignment"), note=col("note"))


of_practice("ReviewAnswer", "standard", "Standard", standards.STANDARDS, "standard_id", standards, "of_practice")


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


@compiles("Budget", "forecast")
def _forecast(c: Compiler, row, node, args):
    """`forecast.forecast_query` on the budget's row, as of today (as the executor's `budget_forecast`)."""
    day = lifecycle_actions.today()  # as of today: a stored answer is keyed by the UTC day

    def months():
        return forecast.forecast_query(fiscal_year_row(value("__planned__", Numeric).label("planned")), day,
                                       array([value("__tenant__", UUID)]))

    key = (forecast.forecast_query, forecast.twelfth, forecast.cents, lifecycle_actions.replacements_by_month,
           lifecycle_rules.replacement_date, lifecycle_rules.in_service, lifecycle_actions.month_index, on_roadmap, day)
    found = on_fiscal_year(render.rule(c, key, months, ", "), c.tenant_of(row),
                           f"make_date({row}.fiscal_year, {row}.fiscal_year_start_month, 1)", planned=f"{row}.planned")
    f = c.alias()
    return f"(SELECT {sql.json_list(c.object('ForecastMonth', f, node), f'{f}.k')} FROM ({found}) AS {f})"


columns("ForecastMonth", month=col("month", sql.month), planned=col("planned", sql.decimal),
        actual=col("actual", sql.decimal), forecast=col("forecast", sql.decimal))


@compiles("Budget", "lines")
def _budget_lines(c: Compiler, row, node, args):
    line = c.alias()
    rows = sql.fill(BUDGET_LINES, tenant=c.tenant_of(row), parent=row)
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


@compiles("SteeringMeeting", "suggestedAgenda")
def _suggested_agenda(c: Compiler, row, node, args):
    """`agenda.derive` in the statement: each of `agenda.SECTIONS` over its candidates
    (`steering.agenda_candidates`, the executor's), on the meeting's UTC day and its tenant's
    fiscal year start, one after the other in the sections' order and each in its candidates'."""
    if c.viewer.kind == "api_key":
        raise Unsupported("suggestedAgenda: the executor answers FORBIDDEN (standards.require_user)")
    key = (agenda.SECTIONS, agenda.in_fiscal_quarter, agenda.acceptance_ending, steering.agenda_candidates,
           standards.open_findings, standards.latest_completed, inputs.fiscal_year_of, planning.initiative_list,
           risks.risk_list)
    items = render.once(key, lambda: render.text_of(agenda_items(), ", "))
    a = c.alias()
    found = sql.fill(items.into(c), tenant=c.tenant_of(row), day=f"CAST(({row}.scheduled_at AT TIME ZONE 'UTC') AS date)",
                     start=f"(SELECT t.fiscal_year_start_month FROM tenants t WHERE t.id = {c.tenant_of(row)})")
    return f"(SELECT {sql.json_list(c.object('AgendaItem', a, node), f'{a}.section, {a}.position')} FROM ({found}) AS {a})"


def agenda_items():
    """The agenda's items (section, position, kind, summary) of the meeting whose tenant, day and
    fiscal year start are the slots `__tenant__`, `__day__` and `__start__`."""
    tenant, day, start = value("__tenant__"), value("__day__", Date), value("__start__", Integer)
    candidates = steering.agenda_candidates(lambda column: column == tenant)
    parts = []
    for n, section in enumerate(agenda.SECTIONS):
        query, order = candidates[section.source]
        rows = query.add_columns(func.row_number().over(order_by=order).label("position")).subquery(f"s{n}")
        kind = section.kind(rows.c)
        part = select(literal(n).label("section"), rows.c.position, (kind if is_sql(kind) else literal(kind)).label("kind"),
                      section.summary(rows.c, day).label("summary"))
        parts.append(part if section.when is None else part.where(section.when(rows.c, day, start)))
    return union_all(*parts)


columns("AgendaItem", kind=col("kind"), summary=col("summary"))


@compiles("SteeringMeeting", "actionItems")
def _action_items(c: Compiler, row, node, args):
    return nested_page(c, node, args, "ActionItem", parent=row, table=steering.ITEMS, of="meeting_id",
                       listing=lambda t: listing_sql(steering.action_item_list, t, args.get("status")))


columns(
    "ActionItem",
    version=col("version"), title=col("title"), owner=col("owner"), dueOn=col("due_on"), status=col("status"),
)

columns("Attendee", name=lambda a: f"{a}.value ->> 'name'", function=lambda a: f"{a}.value ->> 'function'")
