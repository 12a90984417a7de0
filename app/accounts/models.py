"""Invitations and password resets: mailed links whose tokens are stored only as SHA-256 hashes.

Both sit above tenancy (like `users`, no row security): a link is followed before anyone is signed
in. A row's token works once, until `expires_at`, unless voided (re-invited, a newer reset).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, uuid7
from app.tenants.models import Role, pg_enum


class LinkToken:
    """What both links share: the token's hash (null until the worker mints and mails it), its life."""

    token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    voided_at: Mapped[dt.datetime | None]


class Invitation(LinkToken, Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("uq_invitations_token_hash", "token_hash", unique=True),
        Index("ix_invitations_practice_id_email", "practice_id", "email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(pg_enum(Role, "user_role"))
    tenant_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PasswordReset(LinkToken, Base):
    __tablename__ = "password_resets"
    __table_args__ = (
        Index("uq_password_resets_token_hash", "token_hash", unique=True),
        Index("ix_password_resets_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
