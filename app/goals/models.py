"""Business goals (what the client's business wants in a fiscal year, measured by a KPI) and the
strategy profile (one per client: what the CIO asks it about maturity, build vs buy, cloud, platforms)."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Index, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, TenantOwned, Timestamps, Versioned
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


class BuildVsBuy(enum.StrEnum):
    BUILD = "BUILD"
    BUY = "BUY"
    MIXED = "MIXED"


class CloudStrategy(enum.StrEnum):
    CLOUD_FIRST = "CLOUD_FIRST"
    HYBRID = "HYBRID"
    ON_PREMISES = "ON_PREMISES"


class StrategyProfile(TenantOwned, Timestamps, Base):
    """At most one row a tenant (`tenant_id` is the key); no row reads as the empty profile. Its history
    is the audit trail: every `setStrategyProfile` records the profile before and after."""

    __tablename__ = "strategy_profiles"
    __table_args__ = (CheckConstraint("it_maturity between 1 and 5", name="it_maturity_range"),)

    it_maturity: Mapped[int | None] = mapped_column(SmallInteger)  # 1 (ad hoc) .. 5 (optimised)
    build_vs_buy: Mapped[BuildVsBuy | None] = mapped_column(pg_enum(BuildVsBuy, "build_vs_buy"))
    cloud_strategy: Mapped[CloudStrategy | None] = mapped_column(pg_enum(CloudStrategy, "cloud_strategy"))
    preferred_platforms: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    endorsed_stack: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    regulatory_constraints: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    it_capacity_note: Mapped[str | None] = mapped_column(Text)
