"""Steering meetings (attendees with their function, agenda, decisions) and action items."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Versioned, tenant_fk
from app.tenants.models import pg_enum


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    HELD = "HELD"
    CANCELLED = "CANCELLED"


class ActionItemStatus(enum.StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"


class SteeringMeeting(TenantEntity, Versioned, Base):
    __tablename__ = "steering_meetings"
    __table_args__ = (Index("ix_steering_meetings_tenant_id_scheduled_at", "tenant_id", "scheduled_at"),)

    scheduled_at: Mapped[dt.datetime]
    status: Mapped[MeetingStatus] = mapped_column(
        pg_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.SCHEDULED
    )
    # [{"name": "Dana Ruiz", "function": "Finance"}, ...]
    attendees: Mapped[list] = mapped_column(JSONB, default=list)
    agenda: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    decisions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    gid: Mapped[str] = global_ids.column("SteeringMeeting")  # its Relay id, stored (app/db/global_ids.py)


class ActionItem(TenantEntity, Versioned, Base):
    __tablename__ = "action_items"
    __table_args__ = (
        tenant_fk("meeting_id", "steering_meetings"),
        Index("ix_action_items_tenant_id_meeting_id", "tenant_id", "meeting_id"),
    )

    meeting_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[dt.date | None]
    status: Mapped[ActionItemStatus] = mapped_column(
        pg_enum(ActionItemStatus, "action_item_status"), default=ActionItemStatus.OPEN
    )
