"""The executive report's deliveries: one mail of one tenant's report of one month to one recipient.

The unique (tenant, month, recipient) is the idempotency: however often the cron runs, a job is
retried or `sendExecutiveReport` is called, a recipient gets one row, and the worker sends a row
at most once it is SENT (app/reports/delivery.py). `attempts` counts the tries that reached a
verdict; `error` holds the mail server's last answer.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Timestamps
from app.tenants.models import pg_enum


class DeliveryState(enum.StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class ReportDelivery(TenantEntity, Timestamps, Base):
    __tablename__ = "report_deliveries"
    __table_args__ = (
        Index("uq_report_deliveries_tenant_id_month_recipient", "tenant_id", "month", "recipient", unique=True),
        Index("ix_report_deliveries_tenant_id_created_at", "tenant_id", "created_at", "id"),  # newest first
    )

    month: Mapped[dt.date]
    recipient: Mapped[str] = mapped_column(String(254))  # lower-cased
    state: Mapped[DeliveryState] = mapped_column(pg_enum(DeliveryState, "delivery_state"), default=DeliveryState.QUEUED)
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    sent_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    gid: Mapped[str] = global_ids.column("ReportDelivery")  # its Relay id, stored (app/db/global_ids.py)
