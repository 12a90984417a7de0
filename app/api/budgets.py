"""The IT budget: `Budget` per fiscal year, its `BudgetLine`s with planned and actual, monthly spend.

Totals are read in one statement for every requested budget (its planned total as kept with its
lines, its actual summed), one gives every requested line its actual, whatever the number of
tenants, lines or months.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import Numeric, Select, and_, cast, func, select, tuple_

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import row_by_key
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.permissions import object_key, tenant_key
from app.api.planning import Initiative, initiative_node
from app.api.scalars import Month
from app.api.vendors import Vendor, vendor_node
from app.budgets import actions, forecast
from app.budgets import models as m
from app.db import citus
from app.lifecycle import actions as lifecycle
from app.planning.models import Initiative as InitiativeRow
from app.tenants.models import Tenant as TenantRow
from app.vendors.models import Vendor as VendorRow

BudgetKind = strawberry.enum(m.BudgetKind, name="BudgetKind")

BUDGETS = m.Budget.__table__
LINES = m.BudgetLine.__table__
SPEND = m.BudgetSpend.__table__
SPEND_MONTHS = m.SpendMonth.__table__
TENANTS = TenantRow.__table__
SPEND_OF_LINE = and_(SPEND.c.tenant_id == LINES.c.tenant_id, SPEND.c.budget_line_id == LINES.c.id)


async def rows_by_parent(
    ctx: Context, name: Hashable, tenant_id: uuid.UUID, parent_id: uuid.UUID,
    make_query: Callable[[list], Select], parent_of: Callable[[Any], tuple],
) -> list:
    """All rows of a short child list keyed by `(tenant_id, parent_id)`, batched over parents."""

    async def batch(keys: list) -> list:
        grouped: dict[tuple, list] = {k: [] for k in keys}
        for row in await ctx.db.rows(make_query(keys)):
            grouped[parent_of(row)].append(row)
        return [grouped[k] for k in keys]

    return await ctx.loader(name, batch).load((tenant_id, parent_id))


def money_sum(column):
    """The sum of a money column, 0.00 when there is nothing to add."""
    return cast(func.coalesce(func.sum(column), 0), Numeric(16, 2))


def lines_with_actual() -> Select:
    """Budget lines with `actual`, the sum of their spend (grouped by the primary key)."""
    return (
        select(LINES, money_sum(SPEND.c.amount).label("actual"))
        .select_from(LINES.outerjoin(SPEND, SPEND_OF_LINE))
        .group_by(LINES.c.tenant_id, LINES.c.id)
    )


@strawberry.type(description="Actual spend on a budget line in one month.")
class MonthlySpend:
    month: Month
    amount: Decimal


@strawberry.type
class BudgetLine(Node):
    id: strawberry.ID
    version: int
    name: str
    kind: BudgetKind
    category: str
    planned: Decimal
    actual: Decimal = strawberry.field(description="The sum of the line's monthly spend.")
    tenant_id: strawberry.Private[uuid.UUID]
    row_id: strawberry.Private[uuid.UUID]
    vendor_id: strawberry.Private[uuid.UUID | None]
    initiative_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def vendor(self, info: Info) -> Vendor | None:
        if self.vendor_id is None:
            return None
        row = await row_by_key(info.context, VendorRow, self.tenant_id, self.vendor_id)
        return vendor_node(row) if row else None

    @strawberry.field
    async def initiative(self, info: Info) -> Initiative | None:
        if self.initiative_id is None:
            return None
        row = await row_by_key(info.context, InitiativeRow, self.tenant_id, self.initiative_id)
        return initiative_node(row) if row else None

    @strawberry.field(description="Spend recorded per month, in month order.")
    async def spend(self, info: Info) -> list[MonthlySpend]:
        rows = await rows_by_parent(
            info.context, "BudgetSpendByLine", self.tenant_id, self.row_id,
            lambda keys: select(SPEND)
            .where(tuple_(SPEND.c.tenant_id, SPEND.c.budget_line_id).in_(keys))
            .order_by(SPEND.c.month),
            lambda row: (row.tenant_id, row.budget_line_id),
        )
        return [MonthlySpend(month=r.month, amount=r.amount) for r in rows]


def line_node(row) -> BudgetLine:
    return from_row(BudgetLine, row, id=ids.encode("BudgetLine", row.id, row.tenant_id), row_id=row.id)


@strawberry.type
class ForecastMonth:
    month: Month
    planned: Decimal
    actual: Decimal | None = strawberry.field(description="null until the month has closed.")
    forecast: Decimal


@strawberry.type
class Budget:
    fiscal_year: int
    currency: str
    planned: Decimal = strawberry.field(description="The sum of the lines' planned amounts.")
    actual: Decimal = strawberry.field(description="The sum of the lines' spend.")
    first_month: Month = strawberry.field(description="The fiscal year's first month.")
    last_month: Month
    tenant_id: strawberry.Private[uuid.UUID]
    budget_id: strawberry.Private[uuid.UUID]
    fiscal_year_start_month: strawberry.Private[int]

    @strawberry.field(description="The budget's lines by name.")
    async def lines(self, info: Info) -> list[BudgetLine]:
        rows = await rows_by_parent(
            info.context, "BudgetLinesByBudget", self.tenant_id, self.budget_id,
            lambda keys: lines_with_actual()
            .where(tuple_(LINES.c.tenant_id, LINES.c.budget_id).in_(keys))
            .order_by(LINES.c.name, LINES.c.id),
            lambda row: (row.tenant_id, row.budget_id),
        )
        return [line_node(r) for r in rows]

    @strawberry.field(description=(
        "Month by month of the fiscal year: planned; actual where the month is closed; the forecast: actual "
        "where known, else the run rate plus the roadmap's costs and the lifecycle replacements due."))
    async def forecast(self, info: Info) -> list[ForecastMonth]:
        return await budget_forecast(info.context, self)


async def budget_forecast(ctx: Context, budget: Budget) -> list[ForecastMonth]:
    """`forecast.forecast_query` (app/budgets/forecast.py, the compiled report's too) as of today,
    batched over the budgets of the request (`ForecastByYear`)."""
    day = lifecycle.today()

    async def batch(keys: list) -> list:
        found: dict[tuple, list] = {(tenant_id, first): [] for tenant_id, first, _ in keys}
        for r in await ctx.db.rows(forecast.of_budgets(keys, day, await ctx.db.read(citus.on_citus))):
            found[(r.tenant_id, r.year_first)].append(ForecastMonth(month=r.month, planned=r.planned, actual=r.actual,
                                                                    forecast=r.forecast))
        return [found[(tenant_id, first)] for tenant_id, first, _ in keys]

    return await ctx.loader(("ForecastByYear", day), batch).load((budget.tenant_id, budget.first_month, budget.planned))


def budget_totals(tenant=BUDGETS.c.tenant_id) -> Select:
    """Budgets with their planned totals (kept as the lines are written: `budgets.planned`) and
    actual totals; `tenant`: the budgets' tenant as their lines name it (a compiled read names its
    one tenant's parameter: `Compiler.tenant_of`)."""
    of_budget = and_(LINES.c.tenant_id == tenant, LINES.c.budget_id == BUDGETS.c.id)
    actual = (
        select(money_sum(SPEND.c.amount))
        .select_from(SPEND.join(LINES, SPEND_OF_LINE))
        .where(of_budget)
        .scalar_subquery()
    )
    return select(
        BUDGETS, TENANTS.c.fiscal_year_start_month, actual.label("actual")
    ).join(TENANTS, TENANTS.c.id == BUDGETS.c.tenant_id)


async def tenant_budget(ctx: Context, tenant_id: uuid.UUID, fiscal_year: int) -> Budget | None:
    if not actions.FIRST_FISCAL_YEAR <= fiscal_year <= actions.LAST_FISCAL_YEAR:
        return None  # no budget can exist for it (and the column is a smallint)

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(budget_totals().where(tuple_(BUDGETS.c.tenant_id, BUDGETS.c.fiscal_year).in_(keys)))
        found = {(r.tenant_id, r.fiscal_year): r for r in rows}
        return [found.get(k) for k in keys]

    row = await ctx.loader("BudgetByFiscalYear", batch).load((tenant_id, fiscal_year))
    if row is None:
        return None
    first, last = actions.fiscal_months(row.fiscal_year, row.fiscal_year_start_month)
    return from_row(Budget, row, budget_id=row.id, first_month=first, last_month=last)


@resolves("BudgetLine")
async def _line_by_key(ctx: Context, key: ids.Key) -> BudgetLine | None:
    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(lines_with_actual().where(tuple_(LINES.c.tenant_id, LINES.c.id).in_(keys)))
        found = {(r.tenant_id, r.id): r for r in rows}
        return [found.get(k) for k in keys]

    row = await ctx.loader("BudgetLineWithActualByKey", batch).load((key.tenant_id, key.id))
    return line_node(row) if row else None


async def _changed_line(ctx: Context, line) -> BudgetLine:
    """A line just written, read again (not from a loader) so `actual` includes the change."""
    rows = await ctx.db.rows(lines_with_actual().where(LINES.c.tenant_id == line.tenant_id, LINES.c.id == line.id))
    return line_node(rows[0])


NOWHERE = uuid.UUID(int=0)  # no row has it: the action answers NOT_FOUND for it


def _link(value: strawberry.ID, type_name: str, tenant_id: uuid.UUID) -> uuid.UUID:
    """The id of a vendor or initiative of the same tenant, else an id that exists nowhere.

    The action checks links after the caller's right to write, so a malformed id is answered
    exactly like a missing one (NOT_FOUND, or FORBIDDEN for a reader).
    """
    key = ids.decode_as(value, type_name)
    return key.id if key and key.tenant_id == tenant_id else NOWHERE


LINK = "Left out, an existing line keeps its link; null unlinks it."


def _given_line(input, tenant_id: uuid.UUID) -> dict:
    """`given(input)`, its vendor and initiative ids decoded for the tenant."""
    return given(
        input,
        vendor_id=lambda value: _link(value, "Vendor", tenant_id),
        initiative_id=lambda value: _link(value, "Initiative", tenant_id),
    )


@strawberry.input(description="Creates the fiscal year's budget if needed, then creates or updates the line by name.")
class SetBudgetLineInput:
    tenant_id: strawberry.ID
    fiscal_year: int
    name: str
    kind: BudgetKind
    category: str
    planned: Decimal
    vendor_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(description=LINK)
    initiative_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(description=LINK)


@strawberry.input(description="Sets (replaces) the line's spend for the month, which must be in its fiscal year.")
class RecordSpendInput:
    budget_line_id: strawberry.ID
    month: Month
    amount: Decimal


@strawberry.input(description=UPDATE_INPUT)
class UpdateBudgetLineInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: strawberry.Maybe[str | None]
    kind: strawberry.Maybe[BudgetKind | None]
    category: strawberry.Maybe[str | None]
    planned: strawberry.Maybe[Decimal | None]
    vendor_id: strawberry.Maybe[strawberry.ID | None]
    initiative_id: strawberry.Maybe[strawberry.ID | None]


@strawberry.type
class BudgetLinePayload:
    budget_line: BudgetLine | None
    user_errors: list[UserError]


async def _line_payload(ctx: Context, work) -> BudgetLinePayload:
    line, errors = await perform(ctx, work)
    return BudgetLinePayload(budget_line=await _changed_line(ctx, line) if line else None, user_errors=errors)


@strawberry.type
class BudgetMutations:
    @strawberry.mutation
    async def set_budget_line(self, info: Info, input: SetBudgetLineInput) -> BudgetLinePayload:
        ctx = info.context

        async def work(session):
            tenant_id = tenant_key(ctx, input.tenant_id)
            return await actions.set_budget_line(
                session, ctx.viewer, tenant_id, fiscal_year=input.fiscal_year, name=input.name,
                kind=input.kind, category=input.category, planned=input.planned, **_given_line(input, tenant_id),
            )

        return await _line_payload(ctx, work)

    @strawberry.mutation
    async def record_spend(self, info: Info, input: RecordSpendInput) -> BudgetLinePayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.budget_line_id, "BudgetLine", "budgetLineId")
            return await actions.record_spend(
                session, ctx.viewer, key.tenant_id, key.id, month=input.month, amount=input.amount
            )

        return await _line_payload(ctx, work)

    @strawberry.mutation
    async def update_budget_line(self, info: Info, input: UpdateBudgetLineInput) -> BudgetLinePayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "BudgetLine")
            return await actions.update_budget_line(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version,
                **_given_line(input, key.tenant_id),
            )

        return await _line_payload(ctx, work)

    @strawberry.mutation
    async def delete_budget_line(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "BudgetLine", actions.delete_budget_line)
