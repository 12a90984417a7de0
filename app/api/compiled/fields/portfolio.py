"""`Query.portfolio` and its rows: one statement over the viewer's tenants with each row's
figures computed by the health inputs' and the portfolio's own definitions."""

from __future__ import annotations

from sqlalchemy import Integer, func, select

from app.api import (
    permissions,
    portfolio,
    risks,
    tenants,
)
from app.api.compiled import render, sql
from app.api.compiled.compiler import Compiler, Unsupported, compiles
from app.api.compiled.fields.common import aliased, col, columns, ticket_target, value
from app.health import formula, inputs
from app.health.models import HealthScore
from app.months import last_full_month, utc_today
from app.risks import rules as risk_rules

HIGH_RISKS = aliased(risks.RISKS, "hr")
SCORES = HealthScore.__table__


@compiles("Query", "portfolio")
def _portfolio(c: Compiler, row, node, args):
    """`build_portfolio` in one statement: the rows are a CTE of the viewer's active tenants with
    the month's score and figures beside each tenant's columns, computed by the definitions the
    health score's inputs use (app/health/inputs.py) and the portfolio's (app/api/portfolio.py)."""
    if not permissions.staff(c.viewer):
        raise Unsupported("portfolio: the executor answers FORBIDDEN")
    month = args.get("month")
    if month is None:
        month = last_full_month()  # the day's: a stored answer is keyed by the UTC day
    t = aliased(tenants.TENANTS, c.alias())
    s, p = c.alias(), c.alias()
    # The tenants the executor's portfolio gathers inputs for: rendered for this request (the
    # conditions hold the visible set).
    where = render.text_of(inputs.batch_tenants(t, c.viewer.tenant_ids, c.viewer.practice_scope)).into(c)
    # The month's score row rides along (`_health`): the row's health is built from it, not read again.
    rows = (f"SELECT {t.name}.*, {c.param(month, 'date')} AS _month, {s}.score AS _score, {shown_score(s)} AS _health, "
            f"{portfolio_figures(c, t.name, month)} FROM tenants {t.name} LEFT JOIN health_scores {s} "
            f"ON {s}.tenant_id = {t.name}.id AND {s}.month = {c.param(month, 'date')} WHERE {where}")
    return (f"(WITH {p}_rows AS ({rows}) SELECT {c.object('Portfolio', p, node)} "
            f"FROM (SELECT {c.param(month, 'date')} AS month) AS {p})")


def shown_score(s: str) -> str:
    """The score row `s` as a `health_scores` row without its inputs, which no field of a score shows:
    they are half of the row, and a 2,000-tenant practice's rows then fit in memory instead of
    spilling to disk for each of the three reads of them (`tenantCount`, `averageScore`, `rows`)."""
    values = ", ".join("NULL" if column.name == "inputs" else f"{s}.{column.name}" for column in SCORES.columns)
    return f"CAST(ROW({values}) AS {SCORES.name})"


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
    variance_key = (portfolio.variance_percent, portfolio.tenth, inputs.budget_figures, inputs.fiscal_year_of, t, month)
    return ", ".join([
        f"{render.rule(c, high_key, high)} AS _high",
        f"{render.rule(c, (inputs.month_tickets, t, month), tickets)} AS _tickets",
        f"{render.rule(c, variance_key, variance)} AS _variance",
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



compiles("PortfolioRow", "ticketTarget")(lambda c, row, node, args: sql.value(ticket_target(c, row)))


@compiles("PortfolioRow", "tenant")
def _row_tenant(c: Compiler, row, node, args):
    return c.object("Tenant", row, node)  # a row is its tenant's columns and its figures


@compiles("PortfolioRow", "health")
def _row_health(c: Compiler, row, node, args):
    h = c.alias()
    return (f"(SELECT {c.object('HealthScore', h, node)} FROM (SELECT ({row}._health).*) AS {h} "
            f"WHERE {h}.tenant_id IS NOT NULL)")

