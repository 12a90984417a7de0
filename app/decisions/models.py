"""The decision register: one row per decision, never edited (a changed mind is a new decision).

A decision names who took it (the client executive, or the CIO recording the client's word), when,
what and why, until when (an accepted risk), and what it is about: an initiative, a risk, a steering
meeting. Deleting the initiative, risk or meeting clears only that reference; the row and its
summary stay on the register.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, tenant_fk
from app.tenants.models import pg_enum


class DecisionKind(enum.StrEnum):
    INITIATIVE_APPROVED = "INITIATIVE_APPROVED"
    INITIATIVE_DECLINED = "INITIATIVE_DECLINED"
    RISK_ACCEPTED = "RISK_ACCEPTED"
    NOTE = "NOTE"


class Decision(TenantEntity, Base):
    __tablename__ = "decisions"
    __table_args__ = (
        tenant_fk("initiative_id", "initiatives", ondelete="SET NULL"),
        tenant_fk("risk_id", "risks", ondelete="SET NULL"),
        tenant_fk("meeting_id", "steering_meetings", ondelete="SET NULL"),
        # The register reads newest first; an initiative's or risk's decision is its latest.
        Index("ix_decisions_tenant_id_decided_at", "tenant_id", "decided_at", "id"),
        Index("ix_decisions_tenant_id_initiative_id", "tenant_id", "initiative_id"),
        Index("ix_decisions_tenant_id_risk_id", "tenant_id", "risk_id"),
        Index("ix_decisions_tenant_id_meeting_id", "tenant_id", "meeting_id"),
    )

    kind: Mapped[DecisionKind] = mapped_column(pg_enum(DecisionKind, "decision_kind"))
    summary: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    expires_on: Mapped[dt.date | None]  # an accepted risk's `until`
    initiative_id: Mapped[uuid.UUID | None]
    risk_id: Mapped[uuid.UUID | None]
    meeting_id: Mapped[uuid.UUID | None]
    gid: Mapped[str] = global_ids.column("Decision")  # its Relay id, stored (app/db/global_ids.py)
