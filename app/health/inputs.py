"""Gathering the formula's inputs for a whole batch of tenants and one month, in set-based SQL.

Nine statements per batch, whatever its size: the tenants (with their practice's weights), then
one grouped statement per area (the latest review's answers and the assets in service among them).
Each filters on `tenant_id = ANY(:ids)` so PostgreSQL walks the primary-key indexes, and all of
them run inside the caller's `tenant_session`, so row-level security limits them to the batch as
well. The rules come from their areas, in their SQL form: which risks are open on a day
(app/risks/rules.py), an answer's weight and points (app/standards/alignment.py), an asset's
replacement date, status and service (app/lifecycle/rules.py).

Month rules decided here (DESIGN.md leaves them open):
- A fiscal year is named by the calendar year it starts in: with a July start, fiscal year 2026
  runs from 2026-07 to 2027-06. Actual to date is every spend on that year's lines up to and
  including month `m` (summed from `spend_months`, see `budget_figures`).
- "At the end of month m" means its last day: a risk whose review date is before that day is
  overdue; a policy counts while its review date (approved_on + review interval) is on or after it.
- Steering meetings fall in the month of `scheduled_at` in UTC, and a review is completed on the
  UTC day of `completed_at`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Date, Integer, and_, case, cast, exists, extract, func, select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.budgets.models import Budget, BudgetLine, BudgetSpend, SpendMonth
from app.db import citus
from app.db.scope import among, in_batch, in_scope
from app.health.formula import CRITICAL, HIGH, MEDIUM, STEERING_WINDOW, HealthInputs
from app.lifecycle.models import Asset, LifecycleStatus
from app.lifecycle.rules import asset_replacement, in_service, lifecycle_status
from app.months import add_months, last_day, utc_month_start, utc_today
from app.planning.models import Initiative, InitiativeStatus
from app.policies.actions import review_due
from app.policies.models import REQUIRED_KINDS, Policy, PolicyStatus
from app.risks import rules as risk_rules
from app.risks.models import Risk
from app.rules import is_sql
from app.standards.alignment import GAPS, earned_halves, weight
from app.standards.models import Alignment, Review, ReviewAnswer, ReviewStatus, Standard, StandardPriority
from app.steering.models import MeetingStatus, SteeringMeeting
from app.tenants.models import Practice, Tenant, TenantStatus
from app.tickets.figures import month_figures
from app.tickets.models import TicketMonth

NOT_PLANNED = (InitiativeStatus.CANCELLED, InitiativeStatus.DEFERRED)


@dataclass(frozen=True)
class TenantMonth:
    """One active tenant of the batch: its inputs and its practice's weights (None: defaults), and
    beside them (not an input: stored inputs stay as they are) the portfolio's open high risks,
    counted as of `today` (the day `gather_inputs` was given)."""

    tenant_id: uuid.UUID
    weights: Mapping[str, float] | None
    inputs: HealthInputs
    open_high_risks: int = 0  # risk_level(t, today, HIGH): the formula's high and critical together


def fiscal_year_of(month: dt.date, start_month) -> tuple:
    """The fiscal year containing `month` (named by its starting year) and its months elapsed.

    `start_month` is a month number and `month` a date (any day of the month), or either a SQL
    expression of one (app/rules.py): the portfolio's compiled read computes both per tenant in its
    statement, the meeting agenda's per meeting. No `%`: SQL's differs on negatives.
    """
    year, number = ((cast(extract("year", month), Integer), cast(extract("month", month), Integer))
                    if is_sql(month) else (month.year, month.month))
    started_last_year = start_month > number
    shift = case((started_last_year, 1), else_=0) if is_sql(started_last_year) else int(started_last_year)
    return year - shift, number - start_month + 1 + 12 * shift


def batch_tenants(t, ids: Iterable[uuid.UUID], practice_id: uuid.UUID | None = None) -> list:
    """The tenants of a batch that are scored (and shown in the portfolio): those among `ids` (or of
    the whole practice `practice_id`), in the transaction's scope and ACTIVE, on the tenants table
    `t` or an alias of it."""
    return [*among(t, ids, practice_id), in_scope(t), t.c.status == TenantStatus.ACTIVE]


def count_where(condition):
    return func.count().filter(condition)


async def gather_inputs(
    session: AsyncSession, tenant_ids: Iterable[uuid.UUID], month: dt.date, practice_id: uuid.UUID | None = None,
    today: dt.date | None = None,
) -> list[TenantMonth]:
    """The inputs of every ACTIVE tenant among `tenant_ids` (or of the practice `practice_id`) for
    `month`; others are left out. `today` (default: the UTC day) dates the portfolio's open high risks.

    Tenants outside the session's scope are left out too: the tenants table has no row security,
    so the scope is applied to it explicitly.
    """
    tenants = (
        await session.execute(
            select(
                Tenant.id, Tenant.employee_count, Tenant.currency, Tenant.fiscal_year_start_month,
                Tenant.created_at, Practice.health_weights,
            )
            .join(Practice, Practice.id == Tenant.practice_id)
            .where(*batch_tenants(Tenant.__table__, tenant_ids, practice_id))
            .order_by(Tenant.id)
        )
    ).all()
    if not tenants:
        return []
    ids = [t.id for t in tenants]
    fiscal = {t.id: fiscal_year_of(month, t.fiscal_year_start_month) for t in tenants}
    tickets = await _tickets(session, ids, month)
    budgets = await _budgets(session, ids, month, {year for year, _ in fiscal.values()})
    risks = await _risks(session, ids, month, today or utc_today())
    initiatives = await _initiatives(session, ids, month)
    held = await _held_steering_months(session, ids, month)
    policies = await _policies(session, ids, month)
    reviews = await _alignment(session, ids, month)
    assets = await _lifecycle(session, ids, month)
    gathered = []
    for t in tenants:
        year, elapsed = fiscal[t.id]
        window = _steering_window(month, t.created_at)
        lines, planned, actual, unplanned = budgets.get((t.id, year), (0, Decimal(0), Decimal(0), 0))
        r = risks.get(t.id, (0, 0, 0, 0, 0, 0, 0))
        total, due, done = initiatives.get(t.id, (0, 0, 0))
        review = reviews.get(t.id, {})
        statuses = assets.get(t.id, {})
        inputs = HealthInputs(
            month=month,
            employees=t.employee_count,
            currency=t.currency,
            tickets=tickets.get(t.id),
            fiscal_year=year,
            fiscal_months_elapsed=elapsed,
            budget_lines=lines,
            planned=planned,
            actual=actual,
            unplanned_lines=unplanned,
            risks=r[0],
            critical_risks=r[1],
            high_risks=r[2],
            medium_risks=r[3],
            overdue_reviews=r[4],
            initiatives=total,
            initiatives_due=due,
            initiatives_done=done,
            steering_months=len(window),
            steering_held=len(window & held.get(t.id, set())),
            policies_current=policies.get(t.id, 0),
            expired_acceptances=r[5],
            **review,
            assets_current=statuses.get(LifecycleStatus.CURRENT, 0),
            assets_expiring=statuses.get(LifecycleStatus.EXPIRING, 0),
            assets_unsupported=statuses.get(LifecycleStatus.UNSUPPORTED, 0),
            assets_unknown=statuses.get(LifecycleStatus.UNKNOWN, 0),
        )
        gathered.append(TenantMonth(t.id, t.health_weights, inputs, r[6]))
    return gathered


def _steering_window(month: dt.date, created_at: dt.datetime) -> set[dt.date]:
    """The months of the window ending at `month` that are not before the tenant's creation."""
    created = created_at.astimezone(dt.UTC).date().replace(day=1)
    return {m for m in (add_months(month, -k) for k in range(STEERING_WINDOW)) if m >= created}


def month_tickets(month, tenants: Callable):
    """(tenant_id, total) of the tenants `tenants(column)` chooses that have figures for `month`:
    support + change + alert (hand-entered figures win; see app/tickets/figures.py)."""
    figures = select(TicketMonth.tenant_id, *month_figures()).where(
        tenants(TicketMonth.tenant_id), TicketMonth.month == month
    ).group_by(TicketMonth.tenant_id).subquery("figures")
    return select(figures.c.tenant_id, (figures.c.support + figures.c.change + figures.c.alert).label("total"))


async def _tickets(session, ids, month) -> dict[uuid.UUID, int]:
    rows = await session.execute(month_tickets(month, lambda column: in_batch(column, ids)))
    return {tenant_id: int(total) for tenant_id, total in rows}


def budget_figures(month, tenants: Callable, years: Callable, start_month=None, routed: bool = False):
    """Per tenant and fiscal year (those `tenants(column)` and `years(column)` choose): lines,
    planned, actual to date (spend up to and including `month`), unplanned lines (nothing planned,
    spend to date). `start_month`: the tenant's first fiscal month where the caller has it at hand
    (the portfolio's row), else read from the tenant.

    Planned is the budget's total, kept as its lines are written (`budgets.planned`, migration
    0021): one row a tenant. The lines are counted only where a caller reads `lines` or `unplanned`
    (the health score); PostgreSQL drops the counts of a reader that does not (the portfolio's
    variance), and the lines are not read at all.

    Spend is recorded only in a month of its line's fiscal year (app/budgets/actions.py), so the
    actual to date is the tenant's spend per month (`spend_months`, kept by the app) from the
    fiscal year's first month to `month`: a dozen rows a tenant instead of every line's months. It
    is the actual to date of a fiscal year containing `month`, the only year either caller reads (a
    year ended before it would take in the spend of the years after). Such a year is named by the
    month's calendar year or the one before, and began in the 12 months up to `month`: bounds of
    constants the index applies before row security checks each row. The exact conditions stay beside
    them, but they are not leakproof (`make_date`, the fiscal year's arithmetic on a column), so the
    policy is checked first on every row they would otherwise let the index read.

    `routed` (a Citus coordinator): each subquery names the tenants on its own tenant column as
    well as its budget's. There a subquery correlated on `tenant_id` alone is planned on every
    shard, whatever the outer query names (32 tasks for a batch of one shard's tenants, 119 ms
    against 4.7); a statement whose every table names the batch goes to the shards holding it. Not
    on one node, where it is a filter matched against the list on every row read.
    """
    def named(column):  # the tenants again, on a subquery's own column, where Citus routes by it
        return tenants(column) if routed else true()

    of_budget = and_(BudgetLine.tenant_id == Budget.tenant_id, named(BudgetLine.tenant_id), BudgetLine.budget_id == Budget.id)
    spent = exists().where(BudgetSpend.tenant_id == BudgetLine.tenant_id, named(BudgetSpend.tenant_id),
                           BudgetSpend.budget_line_id == BudgetLine.id, BudgetSpend.month <= month, BudgetSpend.amount > 0)
    lines = select(func.count()).where(of_budget).correlate_except(BudgetLine).scalar_subquery()
    unplanned = (select(func.count()).where(of_budget, BudgetLine.planned == 0, spent)
                 .correlate_except(BudgetLine).scalar_subquery())
    if start_month is None:
        start_month = (select(Tenant.fiscal_year_start_month).where(Tenant.id == Budget.tenant_id)
                       .correlate_except(Tenant).scalar_subquery())
    actual = (
        select(func.coalesce(func.sum(SpendMonth.amount), 0))
        .where(SpendMonth.tenant_id == Budget.tenant_id, named(SpendMonth.tenant_id),
               SpendMonth.month > add_months(month, -12), SpendMonth.month <= month,
               SpendMonth.month >= func.make_date(Budget.fiscal_year, start_month, 1))
        .correlate_except(SpendMonth)
        .scalar_subquery()
    )
    return (
        select(Budget.tenant_id, Budget.fiscal_year, lines.label("lines"), Budget.planned.label("planned"),
               actual.label("actual"), unplanned.label("unplanned"))
        .where(tenants(Budget.tenant_id), Budget.fiscal_year.in_((month.year - 1, month.year)), years(Budget.fiscal_year))
    )


async def _budgets(session, ids, month, years) -> dict[tuple[uuid.UUID, int], tuple]:
    """Per tenant and candidate fiscal year: lines, planned, actual to date, unplanned lines."""
    rows = await session.execute(budget_figures(month, lambda column: in_batch(column, ids),
                                                lambda column: column.in_(sorted(years)), routed=await citus.on_citus(session)))
    return {(tenant_id, year): tuple(rest) for tenant_id, year, *rest in rows}


def active_risk(t, day):
    """Counted as open on `day` (app/risks/rules.py): the risks the formula counts by level (the
    risks table `t` or an alias)."""
    return risk_rules.open_on(t.c.status, t.c.accepted_until, day)


def risk_level(t, day, low: int, below: int | None = None):
    """Risks open on `day` scored `low` or more (and under `below`): the formula's levels, the
    portfolio's `openHighRisks` (`risk_level(t, today, HIGH)`)."""
    return and_(active_risk(t, day), t.c.score >= low, *([t.c.score < below] if below is not None else []))


async def _risks(session, ids, month, today) -> dict[uuid.UUID, tuple[int, ...]]:
    """Per tenant: register size, then risks open at the end of `month` by level, their overdue
    reviews and the expired acceptances among them, and the portfolio's high risks open `today`."""
    risks, end = Risk.__table__, last_day(month)
    rows = await session.execute(
        select(
            Risk.tenant_id,
            func.count(),
            count_where(risk_level(risks, end, CRITICAL)),
            count_where(risk_level(risks, end, HIGH, CRITICAL)),
            count_where(risk_level(risks, end, MEDIUM, HIGH)),
            count_where(and_(active_risk(risks, end), Risk.review_due < end)),
            count_where(risk_rules.acceptance_expired(Risk.status, Risk.accepted_until, end)),
            count_where(risk_level(risks, today, HIGH)),
        )
        .where(in_batch(Risk.tenant_id, ids))
        .group_by(Risk.tenant_id)
    )
    return {tenant_id: tuple(rest) for tenant_id, *rest in rows}


async def _initiatives(session, ids, month) -> dict[uuid.UUID, tuple[int, int, int]]:
    due = and_(Initiative.target_month <= month, Initiative.status.not_in(NOT_PLANNED))
    rows = await session.execute(
        select(
            Initiative.tenant_id,
            func.count(),
            count_where(due),
            count_where(and_(due, Initiative.status == InitiativeStatus.DONE)),
        )
        .where(in_batch(Initiative.tenant_id, ids))
        .group_by(Initiative.tenant_id)
    )
    return {tenant_id: tuple(rest) for tenant_id, *rest in rows}


async def _held_steering_months(session, ids, month) -> dict[uuid.UUID, set[dt.date]]:
    held_month = cast(func.date_trunc("month", func.timezone("UTC", SteeringMeeting.scheduled_at)), Date)
    rows = await session.execute(
        select(SteeringMeeting.tenant_id, held_month)
        .distinct()
        .where(
            in_batch(SteeringMeeting.tenant_id, ids),
            SteeringMeeting.status == MeetingStatus.HELD,
            SteeringMeeting.scheduled_at >= utc_month_start(add_months(month, 1 - STEERING_WINDOW)),
            SteeringMeeting.scheduled_at < utc_month_start(add_months(month, 1)),
        )
    )
    held: dict[uuid.UUID, set[dt.date]] = {}
    for tenant_id, held_in in rows:
        held.setdefault(tenant_id, set()).add(held_in)
    return held


async def _policies(session, ids, month) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(Policy.tenant_id, func.count())
        .where(
            in_batch(Policy.tenant_id, ids),
            Policy.kind.in_(REQUIRED_KINDS),
            Policy.status == PolicyStatus.APPROVED,
            review_due(Policy.approved_on, Policy.review_interval_months) >= last_day(month),
        )
        .group_by(Policy.tenant_id)
    )
    return dict(rows.all())


async def _alignment(session, ids, month) -> dict[uuid.UUID, dict]:
    """Per tenant with a review COMPLETED by the end of `month`: the latest one's day and the sums
    and counts of its answers (app/standards/alignment.py), as `HealthInputs` fields."""
    latest = (
        select(Review.tenant_id, Review.id, Review.completed_at)
        .where(in_batch(Review.tenant_id, ids), Review.status == ReviewStatus.COMPLETED,
               Review.completed_at < utc_month_start(add_months(month, 1)))
        .ext(distinct_on(Review.tenant_id))
        .order_by(Review.tenant_id, Review.completed_at.desc(), Review.id.desc())
        .subquery("latest")
    )
    priority, answer = Standard.priority, ReviewAnswer.alignment
    rows = await session.execute(
        select(
            latest.c.tenant_id,
            latest.c.completed_at,
            func.coalesce(func.sum(weight(priority, answer)), 0),
            func.coalesce(func.sum(earned_halves(priority, answer)), 0),
            count_where(answer != Alignment.NOT_APPLICABLE),
            count_where(answer == Alignment.ALIGNED),
            count_where(and_(priority == StandardPriority.HIGH, answer.in_(GAPS))),
        )
        .select_from(latest)
        .outerjoin(ReviewAnswer, and_(ReviewAnswer.tenant_id == latest.c.tenant_id, ReviewAnswer.review_id == latest.c.id))
        .outerjoin(Standard, Standard.id == ReviewAnswer.standard_id)
        .group_by(latest.c.tenant_id, latest.c.completed_at)
    )
    return {
        tenant_id: {
            "review_completed_on": completed_at.astimezone(dt.UTC).date(), "alignment_possible": int(possible),
            "alignment_halves": int(halves), "standards_applicable": applicable, "standards_aligned": aligned,
            "high_priority_gaps": gaps,
        }
        for tenant_id, completed_at, possible, halves, applicable, aligned, gaps in rows
    }


async def _lifecycle(session, ids, month) -> dict[uuid.UUID, dict[LifecycleStatus, int]]:
    """Per tenant: its assets in service at the end of `month`, counted by their status on that day
    (app/lifecycle/rules.py)."""
    assets, end = Asset.__table__, last_day(month)
    dated = (
        select(assets.c.tenant_id, lifecycle_status(asset_replacement(assets), end).label("status"))
        .where(in_batch(assets.c.tenant_id, ids), in_service(assets.c.purchased_on, assets.c.retired_on, end))
        .subquery("dated")
    )
    rows = await session.execute(
        select(dated.c.tenant_id, dated.c.status, func.count()).group_by(dated.c.tenant_id, dated.c.status)
    )
    counts: dict[uuid.UUID, dict[LifecycleStatus, int]] = {}
    for tenant_id, status, n in rows:
        counts.setdefault(tenant_id, {})[LifecycleStatus(status)] = n
    return counts
