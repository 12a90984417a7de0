"""The budget forecast, month by month of a fiscal year: one SQL definition, run by the executor
(batched over budgets) and inside the compiled report's statement alike.

- **planned**: the year's planned total spread evenly over its twelve months, to the cent. Month k
  is `cents(P * k / 12) - cents(P * (k - 1) / 12)`, so the months add up to the plan exactly and
  the plan to date is the health score's `P * months elapsed / 12` rounded to the cent.
- **actual**: the spend of a closed month (before the current UTC month, as scoring closes months),
  0.00 where nothing was spent; null for the current month and later ones.
- **forecast**: the actual of a closed month; for any other month the run rate, plus the one-time
  costs of the roadmap's initiatives aimed at that month, plus the monthly share of the recurring
  cost of every roadmap initiative aimed at it or before it in the year (spread as planned is,
  from its month on), plus the replacement cost of the assets in service whose replacement date
  falls in that month (those already past it count in the current month, as the lifecycle forecast
  puts them in its first quarter).
- **the run rate**: the average actual of the year's closed months, to the cent. Before any month
  of the year has closed there is no actual to go by, and the planned month stands in for it.
  Initiatives aimed at a closed month of the year still add their recurring share to the open
  months: the run rate averages months before and after they started, so it does not carry them whole.

Why SQL and not a Python function of loaded rows: the executive report reads the forecast in its
one compiled statement, and a rule written twice (Python for the executor, SQL for the statement)
would drift; here both paths run this query. Money is exact numeric arithmetic throughout; the
one rounding is to the cent, half away from zero (`round(numeric, 2)`, Python's ROUND_HALF_UP), of
a twelfth share (`twelfth`) and of the run rate. Every other figure is a sum of cents.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Date, Numeric, Select, and_, any_, case, cast, func, literal, select

from app.budgets.actions import NO_MONEY, year_spans
from app.budgets.models import SpendMonth
from app.db.citus import tenant_part
from app.db.scope import id_array
from app.lifecycle.actions import month_index, replacements_by_month
from app.months import month_start
from app.planning.models import Initiative
from app.planning.roadmap import on_roadmap

ZERO = NO_MONEY
SPEND_MONTHS = SpendMonth.__table__


def cents(amount):
    return func.round(amount, 2)


def twelfth(amount, k):
    """The k-th (1..12) monthly share of a yearly amount: the twelve add up to it to the cent."""
    return cents(amount * k / 12) - cents(amount * (k - 1) / 12)


def forecast_query(years, day: dt.date, tenants, on_citus: bool = False) -> Select:
    """The twelve months (`k` 1..12, `month`, `planned`, `actual`, `forecast`) of every row of
    `years` (tenant_id, year_first, year_last, planned: a budget's fiscal year and its planned
    total), as of the UTC day `day` (its month is the current one). `tenants`: an array expression
    of the tenants of `years`.

    Each tenant table is read apart, by `tenant_id = ANY(tenants)` and nothing of `years`
    (`citus.tenant_part`): on a Citus coordinator (`on_citus`) the statement of one tenant is
    routed whole to its worker, and a batch's parts run on their tenants' shards."""
    current = cast(literal(month_start(day)), Date)
    k = func.generate_series(1, 12).table_valued("k").render_derived(name="k")

    def month_of(year_first):
        return cast(year_first + func.make_interval(0, k.c.k - 1), Date)

    month = month_of(years.c.year_first)
    initiatives = Initiative.__table__
    i = tenant_part(select(initiatives.c.tenant_id, initiatives.c.target_month, initiatives.c.status,
                           initiatives.c.cost_estimate, initiatives.c.recurring_cost_per_year)
                    .where(initiatives.c.tenant_id == any_(tenants)), "roadmap", on_citus)
    # What the roadmap adds to each month of each year, grouped apart and joined to the months
    # below, as the spend and the assets due are: Citus 13.2's coordinator crashed executing a
    # correlated subquery over a tenant part of a batch (infra/README.md).
    aimed_year = years.alias("aimed_year")
    aimed_month = month_of(aimed_year.c.year_first)
    # An initiative's recurring share of a month: its months are counted from its target month,
    # both in the year (on_roadmap), so at most eleven apart.
    share = twelfth(i.c.recurring_cost_per_year, month_index(aimed_month) - month_index(i.c.target_month) + 1)
    added = (
        select(aimed_year.c.tenant_id, aimed_year.c.year_first, k.c.k, func.sum(
            case((i.c.target_month == aimed_month, func.coalesce(i.c.cost_estimate, ZERO)), else_=ZERO)
            + func.coalesce(share, ZERO)).label("amount"))
        .select_from(aimed_year.join(k, literal(True)).join(i, and_(
            i.c.tenant_id == aimed_year.c.tenant_id, *on_roadmap(i, aimed_year.c.year_first, aimed_year.c.year_last),
            i.c.target_month <= aimed_month)))
        .group_by(aimed_year.c.tenant_id, aimed_year.c.year_first, k.c.k)
        .subquery("added")
    )
    spend = tenant_part(select(SPEND_MONTHS.c.tenant_id, SPEND_MONTHS.c.month, SPEND_MONTHS.c.amount)
                        .where(SPEND_MONTHS.c.tenant_id == any_(tenants)), "spend", on_citus)
    due = replacements_by_month(years, day, tenants, on_citus).subquery("due")
    months = (
        select(years.c.tenant_id, years.c.year_first, k.c.k, month.label("month"),
               twelfth(years.c.planned, k.c.k).label("planned"), (month < current).label("closed"),
               func.coalesce(spend.c.amount, ZERO).label("spent"),  # one row a tenant and month, or none
               func.coalesce(added.c.amount, ZERO).label("added"), func.coalesce(due.c.cost, ZERO).label("due"))
        .select_from(years.join(k, literal(True))
                     .outerjoin(spend, and_(spend.c.tenant_id == years.c.tenant_id, spend.c.month == month))
                     .outerjoin(added, and_(added.c.tenant_id == years.c.tenant_id,
                                            added.c.year_first == years.c.year_first, added.c.k == k.c.k))
                     .outerjoin(due, and_(due.c.tenant_id == years.c.tenant_id, due.c.year_first == years.c.year_first,
                                          due.c.month == month)))
        .subquery("m")
    )
    of_year = [months.c.tenant_id, months.c.year_first]
    closed_total = func.sum(months.c.spent).filter(months.c.closed).over(partition_by=of_year)
    closed_count = func.count().filter(months.c.closed).over(partition_by=of_year)
    run_rate = cents(closed_total / func.nullif(closed_count, 0))
    return select(
        months.c.tenant_id, months.c.year_first, months.c.k, months.c.month, months.c.planned,
        case((months.c.closed, months.c.spent)).label("actual"),
        case((months.c.closed, months.c.spent),
             else_=func.coalesce(run_rate, months.c.planned) + months.c.added + months.c.due).label("forecast"),
    ).order_by(months.c.k)


def of_budgets(budgets: Iterable[tuple[uuid.UUID, dt.date, Decimal]], day: dt.date, on_citus: bool) -> Select:
    """`forecast_query` of the budgets (tenant id, first month, planned total), as the executor reads
    a request's forecasts in one statement."""
    budgets = list(budgets)
    years = year_spans(budgets, [("planned", Numeric(16, 2))])
    return forecast_query(years, day, id_array(sorted({tenant_id for tenant_id, _, _ in budgets})), on_citus)
