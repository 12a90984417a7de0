"""Practices, tenants, users and grants: the tables above tenancy (no `tenant_id` of their own)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, Timestamps, Versioned, uuid7


class Role(enum.StrEnum):
    PRACTICE_ADMIN = "PRACTICE_ADMIN"
    CIO = "CIO"
    CLIENT_EXECUTIVE = "CLIENT_EXECUTIVE"


class TenantStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    OFFBOARDED = "OFFBOARDED"


def pg_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A PostgreSQL enum type named explicitly, storing the member values."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


# 244 random bits (two version-4 UUIDs, drawn from the server's strong random source), as 64 hex digits.
REPORT_SECRET = text("replace(CAST(gen_random_uuid() AS text) || CAST(gen_random_uuid() AS text), '-', '')")


class Practice(Timestamps, Base):
    __tablename__ = "practices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Names the practice in its single sign-on URLs (`/auth/oidc/{slug}/login`, app/sso).
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Health-score weights by component key; null means DESIGN.md's defaults.
    health_weights: Mapped[dict | None] = mapped_column(JSONB)
    # Signs the executive report's mailed links (app/reports/links.py); a new value voids them all.
    report_secret: Mapped[str] = mapped_column(Text, server_default=REPORT_SECRET)
    # Whether the monthly cron mails the executive report to the clients' executives (app/reports/delivery.py).
    reports_enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    # The roles (their values) that must sign in with two factors (app/auth/twofactor.py); empty: none.
    two_factor_roles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))


class Tenant(Versioned, Base):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("employee_count >= 1", name="employee_count_positive"),
        CheckConstraint("fiscal_year_start_month between 1 and 12", name="fiscal_year_start_month_range"),
        CheckConstraint("char_length(currency) = 3", name="currency_iso"),
        Index("uq_tenants_practice_id_slug", "practice_id", "slug", unique=True),
        Index("ix_tenants_practice_id_name", "practice_id", "name", "id"),  # an admin's tenant pages
        # Row security's practice probe, once a row read, from the index alone (migration 0013).
        Index("ix_tenants_id_scope", "id", postgresql_include=["practice_id", "status"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    industry: Mapped[str | None] = mapped_column(String(100))
    employee_count: Mapped[int]
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[TenantStatus] = mapped_column(pg_enum(TenantStatus, "tenant_status"), default=TenantStatus.ACTIVE)
    gid: Mapped[str] = global_ids.column("Tenant", tenant_scoped=False)  # its Relay id, stored (app/db/global_ids.py)


class User(Versioned, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    # Stored lower-cased; unique across the whole system because login takes only an email.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(pg_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(Text)
    disabled_at: Mapped[dt.datetime | None]
    # What the calendar feed URL signs with the user's id (app/auth/feeds.py); a new one voids the URL.
    calendar_feed_key: Mapped[uuid.UUID] = mapped_column(server_default=func.gen_random_uuid())
    # A client executive who asked not to get the monthly report by mail (the cron leaves them out).
    report_opt_out: Mapped[bool] = mapped_column(server_default=text("false"))
    # Carried in every access token it gets (`gen`); raising it ends every token issued before (app/accounts/sessions.py).
    session_generation: Mapped[int] = mapped_column(server_default=text("0"))
    # Two-factor sign-in (app/auth/twofactor.py): the TOTP secret, encrypted like the integration
    # secrets; in force from `totp_enabled_at` (set but not in force: an enrolment not confirmed).
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[dt.datetime | None]
    # The last 30-second step a code was accepted for: a code is never taken twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # sha256 hex of each unused recovery code; a used one is removed.
    totp_recovery_hashes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))


class Grant(Base):
    """A user's access to one tenant (CIOs and client executives; admins see the whole practice)."""

    __tablename__ = "grants"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class TenantVersion(Base):
    """One backend's share of a tenant's change counter, bumped at commit (app/db/versions.py).

    Never deleted but by folding, so no foreign key; backend 0 holds what was folded.
    """

    __tablename__ = "tenant_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    backend: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class PracticeVersion(Base):
    """One backend's share of a practice's two change counters, bumped by the same statement.

    `roster` counts writes to the practice's tenants rows (which tenants it has), `data` writes to
    any of its tenants' data: an admin's tenant set and stored answers are checked against them.
    """

    __tablename__ = "practice_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    backend: Mapped[int] = mapped_column(primary_key=True)
    roster: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[int] = mapped_column(BigInteger)
