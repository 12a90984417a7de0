"""Business goals: what the client's business wants in a fiscal year, measured by a KPI."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Versioned
from app.tenants.models import pg_enum


class GoalStatus(enum.StrEnum):
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    OFF_TRACK = "OFF_TRACK"
    ACHIEVED = "ACHIEVED"
    DROPPED = "DROPPED"


class BusinessGoal(TenantEntity, Versioned, Base):
    """A goal of one fiscal year (the year it starts in, as `Budget.fiscalYear`); initiatives point at it."""

    __tablename__ = "business_goals"
    __table_args__ = (
        CheckConstraint("fiscal_year between 2000 and 2100", name="fiscal_year_range"),
        Index("ix_business_goals_tenant_id_fiscal_year", "tenant_id", "fiscal_year"),
    )

    title: Mapped[str] = mapped_column(String(200))
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    function: Mapped[str | None] = mapped_column(String(200))
    kpi: Mapped[str | None] = mapped_column(String(200))
    baseline: Mapped[float | None]
    target: Mapped[float | None]
    current: Mapped[float | None]
    status: Mapped[GoalStatus] = mapped_column(pg_enum(GoalStatus, "goal_status"), default=GoalStatus.ON_TRACK)
    gid: Mapped[str] = global_ids.column("BusinessGoal")  # its Relay id, stored (app/db/global_ids.py)
