"""Health score, formula version 2 (DESIGN.md): one pure function from plain inputs to a score.

No database and no clock: everything the score depends on is in `HealthInputs`, so the stored
inputs explain a stored score forever, and the same inputs always give the same score. The
arithmetic is exact (fractions) and integers round half up; Python's `round()` rounds half to even
and is never used.

`change` (the difference to the month before) is not part of the formula: it is computed where
scores are read, from the two stored rows, so recomputing a past month never leaves a stale
`change` behind on the month after it.

Only version 2 is computed. Stored version-1 rows are data: they keep their components, weights
and sentences, and nothing reads their inputs back into `HealthInputs`, so version 1's code is
gone; `fcio recompute --from` rescores such months under version 2.
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

from app.lifecycle.rules import EXPIRING_DAYS
from app.months import add_months, last_day, month_label
from app.rules import is_sql

FORMULA_VERSION = 2

# The order of the components in a result: version 1's six (DESIGN.md's table), then version 2's two.
V1_KEYS = ("tickets", "budget", "risks", "plan", "steering", "policies")
KEYS = (*V1_KEYS, "alignment", "lifecycle")
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "tickets": 0.20, "risks": 0.15, "alignment": 0.15, "budget": 0.10, "plan": 0.10, "policies": 0.10,
    "lifecycle": 0.10, "steering": 0.10,
}
# A practice's own version-1 weights keep this share between them; the new components take the rest.
CARRIED_SHARE = Fraction(3, 4)
ADDED_WEIGHTS = {"alignment": Fraction(15, 100), "lifecycle": Fraction(10, 100)}
STALE_REVIEW_MONTHS = 12  # a review older than this at the end of the month loses STALE_REVIEW_POINTS
STALE_REVIEW_POINTS = 20
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
    expired_acceptances: int = 0  # ACCEPTED risks counted as open: acceptance expired by the end of `month`
    review_completed_on: dt.date | None = None  # the latest review completed by the end of `month` (UTC day)
    alignment_possible: int = 0  # sum(w) over its answers that apply
    alignment_halves: int = 0  # sum(2 * w * v) over the same answers
    standards_applicable: int = 0  # its answers that apply
    standards_aligned: int = 0  # of those, ALIGNED
    high_priority_gaps: int = 0  # HIGH-priority answers PARTIAL or NOT_ALIGNED
    assets_current: int = 0  # assets in service at the end of `month`, by lifecycle status then
    assets_expiring: int = 0
    assets_unsupported: int = 0
    assets_unknown: int = 0

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
    n = i.expired_acceptances
    expired = (
        f"; {plural(n, 'accepted risk')} past {'its' if n == 1 else 'their'} acceptance date {be(n)} counted as open"
        if n else ""
    )
    return max(0, raw), (
        f"{i.critical_risks} critical, {i.high_risks} high and {i.medium_risks} medium open risks, "
        f"with {plural(i.overdue_reviews, 'review')} overdue at the end of {month_label(i.month)}{expired}."
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


def review_is_stale(completed_on: dt.date, month: dt.date) -> bool:
    """Completed more than 12 months before the end of `month`: before that day a year earlier, as
    PostgreSQL subtracts 12 months (2025-02-28 -> 2024-02-28, 2024-02-29 -> 2023-02-28)."""
    end, earlier = last_day(month), last_day(add_months(month, -STALE_REVIEW_MONTHS))
    return completed_on < earlier.replace(day=min(end.day, earlier.day))


def alignment(i: HealthInputs) -> tuple[int | None, str]:
    if i.review_completed_on is None:
        return None, f"No best-practice review was completed by the end of {month_label(i.month)}."
    completed = f"the review completed {i.review_completed_on.isoformat()}"
    value = alignment_score(i.alignment_halves, i.alignment_possible)
    if value is None:
        return None, f"No standard applies in {completed}."
    gaps = plural(i.high_priority_gaps, "high-priority gap")
    sentence = (f"Aligned with {i.standards_aligned} of {plural(i.standards_applicable, 'applicable standard')} "
                f"in {completed} ({gaps})")
    if review_is_stale(i.review_completed_on, i.month):
        return max(0, value - STALE_REVIEW_POINTS), (
            f"{sentence}, less {STALE_REVIEW_POINTS} points: it is more than {STALE_REVIEW_MONTHS} months old."
        )
    return value, f"{sentence}."


def lifecycle(i: HealthInputs) -> tuple[int | None, str]:
    dated = i.assets_current + i.assets_expiring + i.assets_unsupported
    in_service = dated + i.assets_unknown
    if in_service == 0:
        return None, f"No assets were in service at the end of {month_label(i.month)}."
    if dated == 0:
        return None, f"None of the {plural(in_service, 'asset')} in service has lifecycle dates."
    value = round_half_up(Fraction(100 * (2 * i.assets_current + i.assets_expiring), 2 * dated))
    past, soon, unknown = i.assets_unsupported, i.assets_expiring, i.assets_unknown
    undated = f"; {unknown} {'has' if unknown == 1 else 'have'} no lifecycle dates" if unknown else ""
    return value, (
        f"{past} of {plural(in_service, 'asset')} {be(past)} past {'its' if past == 1 else 'their'} replacement date "
        f"and {soon} {'reaches' if soon == 1 else 'reach'} it within {EXPIRING_DAYS // 30} months{undated}."
    )


RULES: Mapping[str, Callable[[HealthInputs], tuple[int | None, str]]] = {
    "tickets": tickets, "budget": budget, "risks": risks, "plan": plan, "steering": steering, "policies": policies,
    "alignment": alignment, "lifecycle": lifecycle,
}


def carried_over(weights: Mapping[str, float] | None) -> Mapping[str, float]:
    """The eight weights a practice scores with: the defaults for None, eight as they are, and a
    practice's own version-1 six scaled to 0.75 with alignment 0.15 and lifecycle 0.10 added.

    Every reader of weights goes through here (scoring, `setHealthWeights`), so weights stored
    before version 2 need no migration. Exact: 0.15 * 0.75 is 0.1125, not 0.11249999999999999.
    """
    if weights is None:
        return DEFAULT_WEIGHTS
    if set(weights) != set(V1_KEYS):
        return weights
    scaled = {key: Fraction(str(weights[key])) * CARRIED_SHARE for key in V1_KEYS}
    return {key: float(value) for key, value in {**scaled, **ADDED_WEIGHTS}.items()}


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
    `weights` are a practice's as stored (`carried_over`), None for the defaults.
    """
    weights = carried_over(weights)
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
