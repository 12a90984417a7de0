"""Individual tickets (from a PSA or a bulk push) and monthly counts by source.

`ticket_months` is what the health score and `ticketMetrics` read: one row per tenant, month and
source. Hand-entered figures use the source `manual`; every other source's row is derived from
the stored tickets by the month they were opened in.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantEntity, TenantOwned, Timestamps
from app.tenants.models import pg_enum

MANUAL_SOURCE = "manual"


class TicketCategory(enum.StrEnum):
    SUPPORT = "SUPPORT"
    CHANGE = "CHANGE"
    ALERT = "ALERT"


class Ticket(TenantEntity, Timestamps, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "external_id"),
        Index("ix_tickets_tenant_id_opened_at", "tenant_id", "opened_at"),
    )

    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[TicketCategory] = mapped_column(pg_enum(TicketCategory, "ticket_category"))
    priority: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    # The vendor's own update time (or sequence) of the state stored: older events never win.
    source_updated_at: Mapped[dt.datetime | None]
    source_sequence: Mapped[int | None]
    # The vendor fields the category mapping reads (board, type, queue, ...).
    attributes: Mapped[dict | None] = mapped_column(JSONB)


class TicketMonth(TenantOwned, Timestamps, Base):
    __tablename__ = "ticket_months"
    __table_args__ = (
        CheckConstraint("support >= 0 and change >= 0 and alert >= 0", name="counts_non_negative"),
        CheckConstraint("extract(day from month) = 1", name="month_first_day"),
    )

    month: Mapped[dt.date] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    support: Mapped[int] = mapped_column(default=0)
    change: Mapped[int] = mapped_column(default=0)
    alert: Mapped[int] = mapped_column(default=0)

