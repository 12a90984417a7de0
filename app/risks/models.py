"""Risks: likelihood x impact, treatment, owner, review date, and an optional linked initiative."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import CheckConstraint, Computed, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Versioned, tenant_fk
from app.tenants.models import pg_enum


class RiskStatus(enum.StrEnum):
    OPEN = "OPEN"
    MITIGATING = "MITIGATING"
    ACCEPTED = "ACCEPTED"
    CLOSED = "CLOSED"


class RiskCategory(enum.StrEnum):
    SECURITY = "SECURITY"
    COMPLIANCE = "COMPLIANCE"
    OPERATIONAL = "OPERATIONAL"
    CONTINUITY = "CONTINUITY"
    VENDOR = "VENDOR"
    FINANCIAL = "FINANCIAL"
    STRATEGIC = "STRATEGIC"


class RiskTreatment(enum.StrEnum):
    MITIGATE = "MITIGATE"
    ACCEPT = "ACCEPT"
    TRANSFER = "TRANSFER"
    AVOID = "AVOID"


class Risk(TenantEntity, Versioned, Base):
    __tablename__ = "risks"
    __table_args__ = (
        tenant_fk("initiative_id", "initiatives", ondelete="SET NULL"),
        CheckConstraint("likelihood between 1 and 5", name="likelihood_range"),
        CheckConstraint("impact between 1 and 5", name="impact_range"),
        CheckConstraint("residual_likelihood between 1 and 5", name="residual_likelihood_range"),
        CheckConstraint("residual_impact between 1 and 5", name="residual_impact_range"),
        Index("ix_risks_tenant_id_score", "tenant_id", "score"),
        Index("ix_risks_tenant_id_review_due", "tenant_id", "review_due"),
        Index("ix_risks_tenant_id_initiative_id", "tenant_id", "initiative_id"),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[RiskCategory] = mapped_column(pg_enum(RiskCategory, "risk_category"))
    status: Mapped[RiskStatus] = mapped_column(pg_enum(RiskStatus, "risk_status"), default=RiskStatus.OPEN)
    likelihood: Mapped[int] = mapped_column(SmallInteger)
    impact: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[int] = mapped_column(SmallInteger, Computed("likelihood * impact", persisted=True))
    treatment: Mapped[RiskTreatment | None] = mapped_column(pg_enum(RiskTreatment, "risk_treatment"))
    mitigation: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    residual_likelihood: Mapped[int | None] = mapped_column(SmallInteger)
    residual_impact: Mapped[int | None] = mapped_column(SmallInteger)
    review_due: Mapped[dt.date | None]
    # ACCEPTED until this date (acceptRisk); after it the risk counts as OPEN (formula v2).
    accepted_until: Mapped[dt.date | None]
    initiative_id: Mapped[uuid.UUID | None]
    gid: Mapped[str] = global_ids.column("Risk")  # its Relay id, stored (app/db/global_ids.py)
