"""Integrations and the raw webhook deliveries they receive.

`integrations` is looked up by id before the tenant is known (the webhook URL names only the
integration), so it sits above tenancy like users and API keys. Deliveries are tenant-owned.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantEntity, Versioned, uuid7
from app.tenants.models import pg_enum


class PsaVendor(enum.StrEnum):
    CONNECTWISE = "CONNECTWISE"
    AUTOTASK = "AUTOTASK"
    HALOPSA = "HALOPSA"


class DeliveryStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"  # verified, waiting for the worker
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"  # failed authentication
    FAILED = "FAILED"  # could not be parsed or mapped; replayable
    IGNORED = "IGNORED"  # acknowledged, never acted on (e.g. Autotask "Deactivated")


class Integration(Versioned, Base):
    __tablename__ = "integrations"
    __table_args__ = (Index("ix_integrations_tenant_id", "tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    vendor: Mapped[PsaVendor] = mapped_column(pg_enum(PsaVendor, "psa_vendor"))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Encrypted with a key derived from FCIO_SECRET_KEY; never stored in plain text.
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Category rules, default category, key-URL host allow-list.
    settings: Mapped[dict] = mapped_column(JSONB, default=dict)
    last_received_at: Mapped[dt.datetime | None]


class WebhookDelivery(TenantEntity, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "integration_id", "identity"),
        Index("ix_webhook_deliveries_tenant_id_integration_id_status", "tenant_id", "integration_id", "status"),
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(300))
    status: Mapped[DeliveryStatus] = mapped_column(pg_enum(DeliveryStatus, "delivery_status"))
    headers: Mapped[dict] = mapped_column(JSONB)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[dt.datetime | None]
