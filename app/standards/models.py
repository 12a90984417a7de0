"""The standards library (per practice) and the reviews that answer it for one client.

A standard belongs to a practice, not to a tenant: every client of the practice is reviewed
against the same library, so `standards` sits above tenancy like `users` (the API checks the
practice). Reviews, their answers and their findings are a tenant's data, under row security.
`standard_library` is the built-in library (migrations write it); each practice starts with a copy,
and every copied standard keeps its entry's `key`, so the library is copied to a practice once,
whatever runs the copy again.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, TenantOwned, Timestamps, Versioned, tenant_fk, uuid7
from app.tenants.models import pg_enum


class StandardPriority(enum.StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Alignment(enum.StrEnum):
    ALIGNED = "ALIGNED"
    PARTIAL = "PARTIAL"
    NOT_ALIGNED = "NOT_ALIGNED"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class ReviewStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class LibraryStandard(Base):
    """An entry of the built-in library (read-only for the app)."""

    __tablename__ = "standard_library"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    section: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    why_it_matters: Mapped[str] = mapped_column(Text)
    priority: Mapped[StandardPriority] = mapped_column(pg_enum(StandardPriority, "standard_priority"))


class Standard(Versioned, Base):
    __tablename__ = "standards"
    __table_args__ = (
        UniqueConstraint("practice_id", "key"),
        Index("ix_standards_practice_id_section", "practice_id", "section", "title", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(100))  # the built-in library's entry, None for the practice's own
    section: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    why_it_matters: Mapped[str] = mapped_column(Text)
    priority: Mapped[StandardPriority] = mapped_column(pg_enum(StandardPriority, "standard_priority"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    gid: Mapped[str] = global_ids.column("Standard", tenant_scoped=False)


class Review(TenantEntity, Versioned, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # One review in progress per tenant: the database holds the rule against concurrent starts.
        Index("uq_reviews_tenant_id_in_progress", "tenant_id", unique=True, postgresql_where="status = 'IN_PROGRESS'"),
        Index("ix_reviews_tenant_id_started_at", "tenant_id", "started_at", "id"),
        Index("ix_reviews_tenant_id_completed_at", "tenant_id", "completed_at", "id"),
        CheckConstraint("(status = 'COMPLETED') = (completed_at is not null)", name="completed_has_date"),
        CheckConstraint("alignment_score between 0 and 100", name="alignment_score_range"),
    )

    status: Mapped[ReviewStatus] = mapped_column(pg_enum(ReviewStatus, "review_status"), default=ReviewStatus.IN_PROGRESS)
    started_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    alignment_score: Mapped[int | None] = mapped_column(SmallInteger)
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    gid: Mapped[str] = global_ids.column("Review")


class ReviewAnswer(TenantOwned, Timestamps, Base):
    """One standard's answer in a review; a later answer replaces it (the key is the pair)."""

    __tablename__ = "review_answers"
    __table_args__ = (tenant_fk("review_id", "reviews"),)

    review_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    standard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standards.id"), primary_key=True, index=True)
    alignment: Mapped[Alignment] = mapped_column(pg_enum(Alignment, "alignment"))
    note: Mapped[str | None] = mapped_column(Text)


class Finding(TenantEntity, Base):
    """A gap a completed review found (a PARTIAL or NOT_ALIGNED answer), and the initiative closing it."""

    __tablename__ = "findings"
    __table_args__ = (
        tenant_fk("review_id", "reviews"),
        tenant_fk("initiative_id", "initiatives", ondelete="SET NULL"),
        UniqueConstraint("tenant_id", "review_id", "standard_id"),
        Index("ix_findings_tenant_id_initiative_id", "tenant_id", "initiative_id"),
        CheckConstraint("alignment in ('PARTIAL', 'NOT_ALIGNED')", name="alignment_is_gap"),
    )
    # The generated `gid` comes back with the UPDATE (RETURNING) of `linkFinding`, not in a lazy load later.
    __mapper_args__ = {"eager_defaults": True}

    review_id: Mapped[uuid.UUID]
    standard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standards.id"), index=True)
    alignment: Mapped[Alignment] = mapped_column(pg_enum(Alignment, "alignment"))
    note: Mapped[str | None] = mapped_column(Text)
    initiative_id: Mapped[uuid.UUID | None]
    gid: Mapped[str] = global_ids.column("Finding")
