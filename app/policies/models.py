"""Policies. A kind without a row reads as MISSING."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantEntity, Versioned
from app.tenants.models import pg_enum


class PolicyKind(enum.StrEnum):
    REMOTE_ACCESS = "REMOTE_ACCESS"
    BACKUP_AND_RECOVERY = "BACKUP_AND_RECOVERY"
    PHYSICAL_ACCESS = "PHYSICAL_ACCESS"
    INCIDENT_RESPONSE = "INCIDENT_RESPONSE"
    BUSINESS_CONTINUITY = "BUSINESS_CONTINUITY"
    INFORMATION_SECURITY = "INFORMATION_SECURITY"
    ACCEPTABLE_USE = "ACCEPTABLE_USE"
    VENDOR_MANAGEMENT = "VENDOR_MANAGEMENT"


# The six kinds the health score requires (DESIGN.md, "policies").
REQUIRED_KINDS = (
    PolicyKind.REMOTE_ACCESS,
    PolicyKind.BACKUP_AND_RECOVERY,
    PolicyKind.PHYSICAL_ACCESS,
    PolicyKind.INCIDENT_RESPONSE,
    PolicyKind.BUSINESS_CONTINUITY,
    PolicyKind.INFORMATION_SECURITY,
)


class PolicyStatus(enum.StrEnum):
    MISSING = "MISSING"
    DRAFT = "DRAFT"
    APPROVED = "APPROVED"


class Policy(TenantEntity, Versioned, Base):
    __tablename__ = "policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind"),
        CheckConstraint("review_interval_months between 1 and 60", name="review_interval_range"),
        CheckConstraint("status <> 'APPROVED' or approved_on is not null", name="approved_has_date"),
    )

    kind: Mapped[PolicyKind] = mapped_column(pg_enum(PolicyKind, "policy_kind"))
    status: Mapped[PolicyStatus] = mapped_column(pg_enum(PolicyStatus, "policy_status"))
    approved_on: Mapped[dt.date | None]
    review_interval_months: Mapped[int] = mapped_column(SmallInteger, default=12)
    document_url: Mapped[str | None] = mapped_column(String(2000))
