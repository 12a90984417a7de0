"""The roadmap: a fiscal year's initiatives by the tenant's fiscal quarters, with what they add up to.

An initiative is on the roadmap of the fiscal year its target month falls in, unless it is CANCELLED
(a DEFERRED one stays, in the quarter it is aimed at, until it is moved or cancelled); one without a
target month is on none. Fiscal years are the budget's (`app.budgets.actions.fiscal_months`, named
by the year they start in) and quarters the lifecycle forecast's (`quarter_label`), so "2026-Q3"
means the same months on every page. The budget forecast reads the same initiatives
(app/budgets/forecast.py).

Sums: money is added as the exact decimals stored (two places); hours saved are added as the
decimals they were written as (`Decimal(repr(hours))`), so 0.1 + 0.2 is 0.3, then given back as a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app import validation as v
from app.budgets.actions import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR, fiscal_months
from app.lifecycle.actions import quarter_label
from app.months import add_months
from app.planning.models import InitiativeStatus

ZERO = Decimal("0.00")


def check_fiscal_year(fiscal_year: int) -> int:
    """A year a budget may have (2000..2100): INVALID otherwise."""
    return v.int_range(fiscal_year, "fiscalYear", FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR)


def on_roadmap(t, first, last) -> list:
    """The initiatives (table `t` or an alias) of the roadmap running from month `first` to `last`."""
    return [t.c.target_month >= first, t.c.target_month <= last, t.c.status != InitiativeStatus.CANCELLED]


@dataclass(frozen=True)
class Quarter:
    label: str
    initiatives: list[Any]  # the rows, in the order given
    one_time_cost: Decimal
    recurring_cost_per_year: Decimal
    hours_saved_per_month: float
    revenue_at_risk: Decimal


def money_total(amounts) -> Decimal:
    """The exact sum of money amounts (None adds nothing), 0.00 for none."""
    return sum((a for a in amounts if a is not None), ZERO)


def quarters(fiscal_year: int, start_month: int, initiatives: Sequence[Any]) -> list[Quarter]:
    """The year's four quarters, each with the initiatives (rows with `target_month`, the costs, the
    hours and the revenue at risk, already on the roadmap) whose target month falls in it."""
    first, _ = fiscal_months(fiscal_year, start_month)
    found = []
    for n in range(4):
        start = add_months(first, 3 * n)
        rows = [i for i in initiatives if start <= i.target_month < add_months(start, 3)]
        hours = sum((Decimal(repr(i.hours_saved_per_month)) for i in rows if i.hours_saved_per_month is not None), Decimal(0))
        found.append(Quarter(
            label=quarter_label(start, start_month), initiatives=rows,
            one_time_cost=money_total(i.cost_estimate for i in rows),
            recurring_cost_per_year=money_total(i.recurring_cost_per_year for i in rows),
            hours_saved_per_month=float(hours), revenue_at_risk=money_total(i.revenue_at_risk for i in rows),
        ))
    return found

