"""Health score, formula version 1 (DESIGN.md): one pure function from plain inputs to a score.

No database and no clock: everything the score depends on is in `HealthInputs`, so the stored
inputs explain a stored score forever, and the same inputs always give the same score. The
arithmetic is exact (fractions) and integers round half up; Python's `round()` rounds half to even
and is never used.

`change` (the difference to the month before) is not part of the formula: it is computed where
scores are read, from the two stored rows, so recomputing a past month never leaves a stale
`change` behind on the month after it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func

from app.months import add_months, month_label
from app.rules import is_sql

FORMULA_VERSION = 1

# The order of the components in a result (DESIGN.md's table).
KEYS = ("tickets", "budget", "risks", "plan", "steering", "policies")
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "tickets": 0.25, "risks": 0.20, "budget": 0.15, "plan": 0.15, "policies": 0.15, "steering": 0.10,
}
REQUIRED_POLICIES = 6
STEERING_WINDOW = 3
# Risk levels by score (likelihood * impact).
CRITICAL, HIGH, MEDIUM = 17, 10, 5


@dataclass(frozen=True)
class HealthInputs:
    """What the formula needs about one tenant in month `month`, already counted and summed.

    `None` / zero counts mean "no data" exactly where DESIGN.md says so: no ticket figures,
    no budget lines, an empty risk register, no initiatives, no month in the steering window.
    """

    month: dt.date
    employees: int
    currency: str = "USD"
    tickets: int | None = None  # support + change + alert in `month`, over every source
    fiscal_year: int = 0  # the fiscal year containing `month`
    fiscal_months_elapsed: int = 12  # 1..12, `month` included
    budget_lines: int = 0
    planned: Decimal = Decimal(0)  # the fiscal year's whole plan
    actual: Decimal = Decimal(0)  # spend up to and including `month`
    unplanned_lines: int = 0  # lines with spend to date but nothing planned
    risks: int = 0  # every risk in the register, whatever its status
    critical_risks: int = 0  # open or mitigating, by level
    high_risks: int = 0
    medium_risks: int = 0
    overdue_reviews: int = 0
    initiatives: int = 0  # every initiative, whatever its status
    initiatives_due: int = 0  # target month <= `month`, not cancelled or deferred
    initiatives_done: int = 0  # of those due
    steering_months: int = STEERING_WINDOW  # months of the window since the tenant was created
    steering_held: int = 0  # of those, months with a held meeting
    policies_current: int = 0  # required kinds approved and not past review

    def to_json(self) -> dict:
        return {
            f.name: _json_value(getattr(self, f.name)) for f in dataclasses.fields(self)
        }


def _json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class Component:
    key: str
    score: int | None  # None: no data, and then `weight` is 0
    weight: float  # share of the total after re-weighting
    explanation: str


@dataclass(frozen=True)
class HealthResult:
    score: int
    band: str
    components: tuple[Component, ...]

    def components_json(self) -> list[dict]:
        return [{"key": c.key, "score": c.score, "weight": c.weight, "explanation": c.explanation}
                for c in self.components]


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def alignment_score(halves: int, possible: int) -> int | None:
    """`100 * sum(w * v) / sum(w)` from the sums app/standards/alignment.py defines (v in halves); None when nothing applies.

    A completed review stores it as `alignmentScore`; the alignment component deducts for an old review.
    """
    return round_half_up(Fraction(100 * halves, 2 * possible)) if possible else None


def band(score: int) -> str:
    return "GREEN" if score >= 70 else "YELLOW" if score >= 40 else "RED"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def be(n: int) -> str:
    """The verb after "n of the ...": "1 of the 6 policies is", "2 of the 6 policies are"."""
    return "is" if n == 1 else "are"


def tickets(i: HealthInputs) -> tuple[int | None, str]:
    month = month_label(i.month)
    if i.tickets is None:
        return None, f"No ticket figures for {month}."
    target = ticket_target(i.employees)
    value = 100 if i.tickets <= target else round_half_up(Fraction(100 * target, i.tickets))
    return value, (
        f"{plural(i.tickets, 'ticket')} in {month} against a target of {target} "
        f"for {plural(i.employees, 'employee')}."
    )


def budget(i: HealthInputs) -> tuple[int | None, str]:
    year = f"fiscal year {i.fiscal_year}"
    if i.budget_lines == 0:
        return None, f"No budget lines for {year}."
    planned = Fraction(i.planned) * i.fiscal_months_elapsed / 12
    actual = Fraction(i.actual)
    if planned == 0:
        # Nothing planned to date: any spend is entirely over plan.
        variance = Fraction(0) if actual == 0 else Fraction(1)
        standing = "with nothing planned to date"
    else:
        variance = (actual - planned) / planned
        percent = f"{float(abs(variance) * 100):.1f}%"
        standing = "on plan" if variance == 0 else f"{percent} {'over' if variance > 0 else 'under'} plan"
    raw = 100 - 200 * max(Fraction(0), variance) - 100 * max(Fraction(0), -variance - Fraction(1, 5))
    value = round_half_up(min(Fraction(100), max(Fraction(0), raw - 10 * i.unplanned_lines)))
    unplanned = (
        f", and {plural(i.unplanned_lines, 'line')} with spend but nothing planned" if i.unplanned_lines else ""
    )
    return value, (
        f"{_money(actual)} {i.currency} spent against {_money(planned)} planned for the first "
        f"{plural(i.fiscal_months_elapsed, 'month')} of {year}, {standing}{unplanned}."
    )


def _money(amount: Fraction) -> str:
    return f"{float(amount):,.2f}"


def risks(i: HealthInputs) -> tuple[int | None, str]:
    if i.risks == 0:
        return None, "The risk register is empty."
    raw = 100 - 25 * i.critical_risks - 10 * i.high_risks - 3 * i.medium_risks - 5 * i.overdue_reviews
    return max(0, raw), (
        f"{i.critical_risks} critical, {i.high_risks} high and {i.medium_risks} medium open risks, "
        f"with {plural(i.overdue_reviews, 'review')} overdue at the end of {month_label(i.month)}."
    )


def plan(i: HealthInputs) -> tuple[int | None, str]:
    month = month_label(i.month)
    if i.initiatives == 0:
        return None, "The IT plan has no initiatives."
    if i.initiatives_due == 0:
        return 100, f"No initiative was due by {month}."
    value = round_half_up(Fraction(100 * i.initiatives_done, i.initiatives_due))
    due = plural(i.initiatives_due, "initiative")
    return value, f"{i.initiatives_done} of the {due} due by {month} {be(i.initiatives_done)} done."


def steering(i: HealthInputs) -> tuple[int | None, str]:
    month = month_label(i.month)
    if i.steering_months == 0:
        return None, f"The client was not yet onboarded in {month}."
    value = round_half_up(Fraction(100 * i.steering_held, i.steering_months))
    if i.steering_months == 1:
        held = "A steering meeting was held" if i.steering_held else "No steering meeting was held"
        return value, f"{held} in {month}, the client's first month."
    first = month_label(add_months(i.month, 1 - i.steering_months))
    return value, (
        f"A steering meeting was held in {i.steering_held} of the {i.steering_months} months "
        f"from {first} to {month}."
    )


def policies(i: HealthInputs) -> tuple[int | None, str]:
    value = round_half_up(Fraction(100 * i.policies_current, REQUIRED_POLICIES))
    return value, (
        f"{i.policies_current} of the {REQUIRED_POLICIES} required policies {be(i.policies_current)} approved and within "
        f"their review date at the end of {month_label(i.month)}."
    )


RULES: Mapping[str, Callable[[HealthInputs], tuple[int | None, str]]] = {
    "tickets": tickets, "budget": budget, "risks": risks, "plan": plan, "steering": steering, "policies": policies,
}


def shares(present: list[str], weights: Mapping[str, float]) -> dict[str, Fraction]:
    """The weights of the components with data, scaled to sum to 1.

    Weights are read through their decimal text (0.1 is exactly one tenth). If every component
    with data has weight 0, they share equally rather than dividing by zero.
    """
    raw = {key: Fraction(str(weights[key])) for key in present}
    total = sum(raw.values())
    if total == 0:
        return {key: Fraction(1, len(present)) for key in present}
    return {key: value / total for key, value in raw.items()}


def score(inputs: HealthInputs, weights: Mapping[str, float] | None = None) -> HealthResult:
    """The health score of one tenant-month: the weighted sum of the (rounded) component scores.

    The total uses the rounded component scores a reader sees, so the displayed components and
    weights reproduce the displayed score. Policies always have data, so the total is defined.
    """
    weights = weights or DEFAULT_WEIGHTS
    parts = {key: RULES[key](inputs) for key in KEYS}
    present = [key for key in KEYS if parts[key][0] is not None]
    share = shares(present, weights)
    total = round_half_up(sum(parts[key][0] * share[key] for key in present))
    components = tuple(
        Component(key, parts[key][0], float(share.get(key, 0)), parts[key][1]) for key in KEYS
    )
    return HealthResult(total, band(total), components)


def ticket_target(employees):
    """A quiet, well-run IT environment: at most one ticket a month per five people (at least 1).

    `employees` is a count, or a SQL expression of one for reads computed in the database
    (app/rules.py): the rule is written once for both.
    """
    share = employees // 5
    return func.greatest(1, share) if is_sql(share) else max(1, share)
