"""The IT budget: one budget per tenant and fiscal year, lines planned for the year, spend per month.

Fiscal years follow the health score's rule (`app.health.inputs.fiscal_year_of`): a fiscal year is
named by the calendar year it starts in, so with a July start fiscal year 2026 runs from 2026-07
to 2027-06 (with a January start it is the calendar year). Spend can only be recorded for a month
of its line's fiscal year. A budget takes the tenant's currency when it is created.

A spend change moves "actual to date" for its month and every later month of the fiscal year, so
each of those months that has already closed is marked stale for the health score. Planned
amounts are read as they stand when a score is computed, like the other registers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Numeric, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.audit.actions import record
from app.auth.principal import Principal
from app.budgets.models import Budget, BudgetKind, BudgetLine, BudgetSpend
from app.db import figures
from app.db.base import uuid7
from app.db.key_rows import key_rows
from app.errors import Conflict, Invalid, NotFound
from app.guards import require_writer, visible_tenant
from app.health.recompute import mark_stale
from app.months import add_months, current_month, month_start
from app.planning.models import Initiative
from app.tenants.models import Tenant
from app.vendors.models import Vendor

FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2000, 2100


NO_MONEY = literal_column("0.00", Numeric(16, 2))  # a sum of money with nothing to add, in SQL: written with its cents

def fiscal_months(fiscal_year: int, start_month: int) -> tuple[dt.date, dt.date]:
    """The first and last month of a fiscal year (see the module's docstring for the naming)."""
    first = dt.date(fiscal_year, start_month, 1)
    return first, add_months(first, 11)


def year_spans(keys: Iterable[tuple], extra: Sequence[tuple[str, Any]] = ()):
    """Rows (tenant_id, year_first, year_last, and the `extra` (name, type) columns): the fiscal years
    starting at each key's first month, for a read batched over tenants and years to join. A key is
    (tenant id, first month, a value per extra column)."""
    return key_rows("years", [("tenant_id", UUID()), ("year_first", Date()), ("year_last", Date()), *extra],
                    [(tenant_id, first, fiscal_months(first.year, first.month)[1], *rest) for tenant_id, first, *rest in keys])


async def mark_closed_months_stale(session: AsyncSession, tenant_id: uuid.UUID, first: dt.date, last: dt.date) -> None:
    """Mark every month from `first` to `last` that has closed (before the current UTC month)."""
    month, current = first, current_month()
    while month <= last and month < current:
        await mark_stale(session, tenant_id, month)
        month = add_months(month, 1)


LINE_CHECKS = {
    "name": lambda value: v.text(value, "name"),
    "kind": None,
    "category": lambda value: v.text(value, "category", max_length=100),
    "planned": lambda value: v.money(value, "planned"),
    "vendor_id": None,
    "initiative_id": None,
}


async def _check_links(session: AsyncSession, tenant_id: uuid.UUID, fields: dict) -> None:
    """The vendor and initiative a line points to must be the same tenant's (NOT_FOUND otherwise)."""
    for model, name in ((Vendor, "vendor_id"), (Initiative, "initiative_id")):
        id = fields.get(name)
        if id is not None and await session.get(model, (tenant_id, id)) is None:
            raise NotFound(f"{model.__name__} not found.", [v.field_name(name)])


async def _budget_for_year(session: AsyncSession, tenant: Tenant, fiscal_year: int) -> Budget:
    """The tenant's budget for the year, created (race-free) with the tenant's currency if missing."""
    await session.execute(
        insert(Budget)
        .values(tenant_id=tenant.id, id=uuid7(), fiscal_year=fiscal_year, currency=tenant.currency, version=1)
        .on_conflict_do_nothing(index_elements=[Budget.tenant_id, Budget.fiscal_year])
    )
    return await session.scalar(select(Budget).where(Budget.tenant_id == tenant.id, Budget.fiscal_year == fiscal_year))


async def _line_named(session: AsyncSession, tenant_id: uuid.UUID, budget_id: uuid.UUID, name: str) -> BudgetLine | None:
    return await session.scalar(
        select(BudgetLine).where(
            BudgetLine.tenant_id == tenant_id, BudgetLine.budget_id == budget_id, BudgetLine.name == name
        )
    )


async def set_budget_line(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    fiscal_year: int,
    name: str,
    kind: BudgetKind,
    category: str,
    planned: Decimal,
    **links: uuid.UUID | None,
) -> BudgetLine:
    """Create or update the line called `name` in the fiscal year's budget (created if missing).

    `links`: `vendor_id` and `initiative_id`, set when given (None unlinks) and left as they are when not.
    """
    tenant = await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    v.int_range(fiscal_year, "fiscalYear", FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR)
    fields = v.checked(BudgetLine, LINE_CHECKS, dict(name=name, kind=kind, category=category, planned=planned, **links))
    await _check_links(session, tenant_id, fields)
    budget = await _budget_for_year(session, tenant, fiscal_year)
    existing = await _line_named(session, tenant_id, budget.id, fields["name"])
    if existing is not None:
        return _replanned(session, *await editing.update(session, actor, BudgetLine, tenant_id, existing.id, fields))
    line = await editing.create(session, actor, tenant_id, BudgetLine(budget_id=budget.id, **fields))
    figures.planned_changed(session, tenant_id, budget.id, line.planned)
    return line


def _replanned(session: AsyncSession, line: BudgetLine, before: dict) -> BudgetLine:
    """The updated `line`, its budget's planned total moved by the change from `before` (the
    update's snapshot: what its version check found)."""
    figures.planned_changed(session, line.tenant_id, line.budget_id, line.planned - Decimal(before["planned"]))
    return line


async def update_budget_line(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    line_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> BudgetLine:
    """Set the fields given (the names of `LINE_CHECKS`; None clears one, INVALID for a required one).

    A name is unique within its budget (CONFLICT).
    """
    line = await editing.load(session, actor, BudgetLine, tenant_id, line_id)
    changes = v.checked(BudgetLine, LINE_CHECKS, changes)
    await _check_links(session, tenant_id, changes)
    if "name" in changes and changes["name"] != line.name:
        if await _line_named(session, tenant_id, line.budget_id, changes["name"]) is not None:
            raise Conflict(f"This budget already has a line named {changes['name']!r}.", ["name"])
    return _replanned(session, *await editing.update(session, actor, BudgetLine, tenant_id, line_id, changes,
                                                     expected_version))


async def _fiscal_year_of_line(session: AsyncSession, line: BudgetLine) -> tuple[int, dt.date, dt.date]:
    year, start_month = (
        await session.execute(
            select(Budget.fiscal_year, Tenant.fiscal_year_start_month)
            .join(Tenant, Tenant.id == Budget.tenant_id)
            .where(Budget.tenant_id == line.tenant_id, Budget.id == line.budget_id)
        )
    ).one()
    return (year, *fiscal_months(year, start_month))


async def record_spend(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    line_id: uuid.UUID,
    *,
    month: dt.date,
    amount: Decimal,
) -> BudgetLine:
    """Set (replace) the line's spend for `month`; returns the line."""
    line = await editing.load(session, actor, BudgetLine, tenant_id, line_id, "budgetLineId")
    require_writer(actor)
    if amount is None:
        raise Invalid("amount is required.", ["amount"])
    amount = v.money(amount, "amount")
    month = month_start(month)
    year, first, last = await _fiscal_year_of_line(session, line)
    if not first <= month <= last:
        raise Invalid(
            f"month must be within fiscal year {year} of this line, {first:%Y-%m} to {last:%Y-%m}.", ["month"]
        )
    before = await write_spend(session, tenant_id, line_id, month, amount)
    await record(
        session, actor, tenant_id, "budget_spend.set", "BudgetSpend", line_id,
        None if before is None else {"month": month.isoformat(), "amount": str(before)},
        {"month": month.isoformat(), "amount": str(amount)},
    )
    if before != amount:
        await mark_closed_months_stale(session, tenant_id, month, last)
    return line


async def write_spend(session: AsyncSession, tenant_id: uuid.UUID, line_id: uuid.UUID, month: dt.date,
                      amount: Decimal) -> Decimal | None:
    """Set the line's spend in `month`; returns the amount it replaced (None: there was none).

    The month's figure moves by the difference at commit (app/db/figures.py), so the amount
    replaced is read locked; a row another writer inserts meanwhile makes the insert find it, and
    it is read again, locked."""
    key = {"tenant_id": tenant_id, "budget_line_id": line_id, "month": month}
    stored = select(BudgetSpend.amount).where(*(getattr(BudgetSpend, k) == value for k, value in key.items()))
    while True:
        before = await session.scalar(stored.with_for_update())
        if before is not None:
            await session.execute(update(BudgetSpend).where(*(getattr(BudgetSpend, k) == value for k, value in key.items()))
                                  .values(amount=amount, updated_at=func.now()))
            break
        inserted = await session.scalar(insert(BudgetSpend).values(**key, amount=amount)
                                        .on_conflict_do_nothing().returning(BudgetSpend.month))
        if inserted is not None:
            break
    figures.spend_changed(session, tenant_id, month, amount - (before or 0))
    return before


async def delete_budget_line(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, line_id: uuid.UUID
) -> BudgetLine:
    """Delete the line and its spend; closed months whose actual to date included it go stale."""
    line = await editing.load(session, actor, BudgetLine, tenant_id, line_id)
    # The line, then its spend, locked: no spend is added to it meanwhile, and what goes with it
    # is taken from the months' figures at commit.
    await session.execute(select(BudgetLine.id).where(BudgetLine.tenant_id == tenant_id, BudgetLine.id == line_id)
                          .with_for_update())
    spend = (await session.execute(select(BudgetSpend.month, BudgetSpend.amount).where(
        BudgetSpend.tenant_id == tenant_id, BudgetSpend.budget_line_id == line_id)
        .order_by(BudgetSpend.month).with_for_update())).all()
    first_spend = min((month for month, amount in spend if amount > 0), default=None)
    _, _, last = await _fiscal_year_of_line(session, line)
    line = await editing.delete(session, actor, BudgetLine, tenant_id, line_id)
    figures.planned_changed(session, tenant_id, line.budget_id, -line.planned)
    for month, amount in spend:
        figures.spend_changed(session, tenant_id, month, -amount)
    if first_spend is not None:
        await mark_closed_months_stale(session, tenant_id, first_spend, last)
    return line
