"""Budgets, budget lines (capex/opex) and monthly spend against them."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantEntity, TenantOwned, Timestamps, Versioned, tenant_fk
from app.tenants.models import pg_enum


class BudgetKind(enum.StrEnum):
    CAPEX = "CAPEX"
    OPEX = "OPEX"


class Budget(TenantEntity, Versioned, Base):
    __tablename__ = "budgets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fiscal_year"),
        CheckConstraint("fiscal_year between 2000 and 2100", name="fiscal_year_range"),
    )

    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # The sum of the lines' planned amounts, kept by their write paths at commit (app/db/figures.py,
    # migration 0021): what the portfolio and the health score read instead of every line.
    planned: Mapped[Decimal] = mapped_column(Numeric(16, 2), server_default=text("0"))


class BudgetLine(TenantEntity, Versioned, Base):
    __tablename__ = "budget_lines"
    __table_args__ = (
        tenant_fk("budget_id", "budgets"),
        tenant_fk("vendor_id", "vendors", ondelete="SET NULL"),
        tenant_fk("initiative_id", "initiatives", ondelete="SET NULL"),
        UniqueConstraint("tenant_id", "budget_id", "name"),
        CheckConstraint("planned >= 0", name="planned_non_negative"),
        Index("ix_budget_lines_tenant_id_vendor_id", "tenant_id", "vendor_id"),
        Index("ix_budget_lines_tenant_id_initiative_id", "tenant_id", "initiative_id"),
    )

    budget_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[BudgetKind] = mapped_column(pg_enum(BudgetKind, "budget_kind"))
    category: Mapped[str] = mapped_column(String(100))
    planned: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    vendor_id: Mapped[uuid.UUID | None]
    initiative_id: Mapped[uuid.UUID | None]


class BudgetSpend(TenantOwned, Timestamps, Base):
    """Actual spend on one line in one month (`month` is the first day of the month)."""

    __tablename__ = "budget_spend"
    __table_args__ = (
        tenant_fk("budget_line_id", "budget_lines"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("extract(day from month) = 1", name="month_first_day"),
    )

    budget_line_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class SpendMonth(TenantOwned, Base):
    """A tenant's spend in one month over all its lines, kept from the spend written (app/db/figures.py).

    Spend is recorded only in a month of its line's fiscal year, so a fiscal year's actual to date
    is the sum of these rows from its first month: a dozen rows per tenant where the lines' spend
    is a dozen per line.
    """

    __tablename__ = "spend_months"
    __table_args__ = (CheckConstraint("extract(day from month) = 1", name="month_first_day"),)

    month: Mapped[dt.date] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))

