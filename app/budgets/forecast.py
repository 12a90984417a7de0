"""The budget forecast, month by month of a fiscal year: one pure function of the figures it needs.

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

Money is exact decimal arithmetic throughout; the one rounding is to the cent, half up, of a
twelfth share (`twelfth`) and of the run rate. Every other figure is a sum of cents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.months import add_months

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def twelfth(amount: Decimal, k: int) -> Decimal:
    """The k-th (1..12) monthly share of a yearly amount: the twelve add up to it to the cent."""
    return cents(amount * k / 12) - cents(amount * (k - 1) / 12)


@dataclass(frozen=True)
class RoadmapCost:
    """What an initiative on the year's roadmap adds: its one-time cost in its month, its recurring cost from it."""

    month: dt.date
    one_time: Decimal | None
    recurring_per_year: Decimal | None


@dataclass(frozen=True)
class ForecastMonth:
    month: dt.date
    planned: Decimal
    actual: Decimal | None
    forecast: Decimal


def months_from(start: dt.date, month: dt.date) -> int:
    return (month.year - start.year) * 12 + month.month - start.month


def forecast(
    first: dt.date,
    current: dt.date,
    planned: Decimal,
    actual: Mapping[dt.date, Decimal],
    roadmap: Iterable[RoadmapCost],
    replacements: Mapping[dt.date, Decimal],
) -> list[ForecastMonth]:
    """The twelve months from `first`; `current` is the current month, `actual` the spend per month,
    `replacements` the replacement cost due per month (see the module's docstring)."""
    roadmap = list(roadmap)
    months = [add_months(first, n) for n in range(12)]
    closed = [m for m in months if m < current]
    run_rate = cents(sum((actual.get(m, ZERO) for m in closed), ZERO) / len(closed)) if closed else None
    found = []
    for k, month in enumerate(months, 1):
        plan = twelfth(planned, k)
        if month < current:
            spent = actual.get(month, ZERO)
            found.append(ForecastMonth(month, plan, spent, spent))
            continue
        added = sum((
            ((i.one_time or ZERO) if i.month == month else ZERO)
            + (twelfth(i.recurring_per_year, months_from(i.month, month) % 12 + 1) if i.recurring_per_year else ZERO)
            for i in roadmap if i.month <= month
        ), ZERO)
        base = plan if run_rate is None else run_rate
        found.append(ForecastMonth(month, plan, None, base + added + replacements.get(month, ZERO)))
    return found
