"""The roadmap: a fiscal year's initiatives by the tenant's fiscal quarters, with what they add up to.

An initiative is on the roadmap of the fiscal year its target month falls in, unless it is CANCELLED
(a DEFERRED one stays, in the quarter it is aimed at, until it is moved or cancelled); one without a
target month is on none. Fiscal years are the budget's (`app.budgets.actions.fiscal_months`, named
by the year they start in) and quarters the lifecycle forecast's (`quarter_label`), so "2026-Q3"
means the same months on every page. The budget forecast reads the same initiatives
(app/budgets/forecast.py).

The quarters and their sums are one SQL definition (`quarters_query`, `quarter_of`), run by the
executor and inside the compiled report's statement alike.
"""

from __future__ import annotations

from sqlalchemy import (
    Float,
    Integer,
    Numeric,
    Select,
    Text,
    and_,
    cast,
    extract,
    func,
    literal,
    select,
)

from app import validation as v
from app.budgets.actions import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR, NO_MONEY
from app.lifecycle import actions as lifecycle_actions
from app.lifecycle.actions import month_index
from app.planning.models import Initiative, InitiativeStatus


def check_fiscal_year(fiscal_year: int) -> int:
    """A year a budget may have (2000..2100): INVALID otherwise."""
    return v.int_range(fiscal_year, "fiscalYear", FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR)


def on_roadmap(t, first, last) -> list:
    """The initiatives (table `t` or an alias) of the roadmap running from month `first` to `last`."""
    return [t.c.target_month >= first, t.c.target_month <= last, t.c.status != InitiativeStatus.CANCELLED]


def quarter_of(target_month, first):
    """The quarter (0..3) of the fiscal year starting at `first` that a target month falls in."""
    return (month_index(target_month) - month_index(first)) // 3


def quarters_query(years) -> Select:
    """The four quarters (`n` 0..3, `quarter` its label) of every row of `years` (tenant_id,
    year_first, year_last: a fiscal year), with the sums of the initiatives on the roadmap in each.

    Money is added as the exact decimals stored (0.00 for none); hours saved are added as the
    decimals they were written as (the float's shortest text, as Python's repr), so 0.1 + 0.2 is
    0.3, then given back as a float."""
    # A derived table, not the table: Citus 13.2 crashes planning an outer join from rows that are
    # no table (the key rows, the quarters) onto a distributed table under row security
    # (infra/README.md, limits); PostgreSQL flattens the derived table, so one node plans the same.
    i = select(Initiative.__table__).subquery("planned")
    n = func.generate_series(0, 3).table_valued("n").render_derived(name="q")
    on_it = and_(i.c.tenant_id == years.c.tenant_id, *on_roadmap(i, years.c.year_first, years.c.year_last),
                 quarter_of(i.c.target_month, years.c.year_first) == n.c.n)

    def money(column):
        return func.coalesce(func.sum(column), NO_MONEY)

    hours = func.sum(cast(cast(i.c.hours_saved_per_month, Text), Numeric))
    label = lifecycle_actions.fiscal_quarter_label(cast(extract("year", years.c.year_first), Integer), n.c.n + 1)
    return (
        select(years.c.tenant_id, years.c.year_first, years.c.year_last, n.c.n, label.label("quarter"),
               money(i.c.cost_estimate).label("one_time_cost"), money(i.c.recurring_cost_per_year).label("recurring_cost_per_year"),
               cast(func.coalesce(hours, 0), Float).label("hours_saved_per_month"), money(i.c.revenue_at_risk).label("revenue_at_risk"))
        .select_from(years.join(n, literal(True)).outerjoin(i, on_it))
        .group_by(years.c.tenant_id, years.c.year_first, years.c.year_last, n.c.n)
        .order_by(n.c.n)
    )
