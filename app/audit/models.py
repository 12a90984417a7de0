"""Audit events. The runtime role may INSERT and SELECT them, never UPDATE or DELETE."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantEntity


class AuditEvent(TenantEntity, Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_id_created_at", "tenant_id", "created_at"),)

    actor_type: Mapped[str] = mapped_column(String(20))  # user | api_key | system
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(100))  # e.g. risk.update
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
