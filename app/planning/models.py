"""IT plans and initiatives."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Versioned, tenant_fk
from app.tenants.models import pg_enum


class InitiativeStatus(enum.StrEnum):
    PROPOSED = "PROPOSED"
    APPROVED = "APPROVED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    DEFERRED = "DEFERRED"
    CANCELLED = "CANCELLED"


class ItPlan(TenantEntity, Versioned, Base):
    """A tenant's IT plan for a period; initiatives may belong to one."""

    __tablename__ = "it_plans"

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[dt.date | None]
    ends_on: Mapped[dt.date | None]


class Initiative(TenantEntity, Versioned, Base):
    __tablename__ = "initiatives"
    __table_args__ = (
        tenant_fk("plan_id", "it_plans", ondelete="SET NULL"),
        tenant_fk("goal_id", "business_goals", ondelete="SET NULL"),
        CheckConstraint("priority between 1 and 5", name="priority_range"),
        CheckConstraint("cost_estimate >= 0", name="cost_estimate_non_negative"),
        CheckConstraint("recurring_cost_per_year >= 0", name="recurring_cost_non_negative"),
        CheckConstraint("hours_saved_per_month >= 0", name="hours_saved_non_negative"),
        CheckConstraint("revenue_at_risk >= 0", name="revenue_at_risk_non_negative"),
        CheckConstraint("extract(day from target_month) = 1", name="target_month_first_day"),
        Index("ix_initiatives_tenant_id_plan_id", "tenant_id", "plan_id"),
        Index("ix_initiatives_tenant_id_target_month", "tenant_id", "target_month"),
        Index("ix_initiatives_tenant_id_goal_id", "tenant_id", "goal_id"),
    )

    plan_id: Mapped[uuid.UUID | None]
    goal_id: Mapped[uuid.UUID | None]  # the business goal it serves (app/goals)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InitiativeStatus] = mapped_column(
        pg_enum(InitiativeStatus, "initiative_status"), default=InitiativeStatus.PROPOSED
    )
    priority: Mapped[int] = mapped_column(default=3)
    target_month: Mapped[dt.date | None]
    cost_estimate: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # one-time
    recurring_cost_per_year: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    hours_saved_per_month: Mapped[float | None]
    revenue_at_risk: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    gid: Mapped[str] = global_ids.column("Initiative")  # its Relay id, stored (app/db/global_ids.py)
