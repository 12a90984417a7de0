"""Assets: a client's hardware and software, with the dates that decide their life."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Versioned
from app.tenants.models import pg_enum

MANUAL_SOURCE = "manual"  # an asset entered by hand; any other source is the PSA / RMM it came from


class AssetKind(enum.StrEnum):
    LAPTOP = "LAPTOP"
    WORKSTATION = "WORKSTATION"
    SERVER = "SERVER"
    NETWORK = "NETWORK"
    STORAGE = "STORAGE"
    MOBILE = "MOBILE"
    PRINTER = "PRINTER"
    SOFTWARE = "SOFTWARE"
    CLOUD_SERVICE = "CLOUD_SERVICE"
    OTHER = "OTHER"


class LifecycleStatus(enum.StrEnum):
    CURRENT = "CURRENT"
    EXPIRING = "EXPIRING"
    UNSUPPORTED = "UNSUPPORTED"
    UNKNOWN = "UNKNOWN"


class Asset(TenantEntity, Versioned, Base):
    __tablename__ = "assets"
    __table_args__ = (
        # Pushed assets are upserted by (source, externalId); hand-entered ones have no external id.
        Index("uq_assets_tenant_id_source_external_id", "tenant_id", "source", "external_id", unique=True,
              postgresql_where="external_id is not null"),
        Index("ix_assets_tenant_id_name", "tenant_id", "name", "id"),
        CheckConstraint("replacement_cost >= 0", name="replacement_cost_non_negative"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AssetKind] = mapped_column(pg_enum(AssetKind, "asset_kind"))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(200))
    purchased_on: Mapped[dt.date | None]
    warranty_end: Mapped[dt.date | None]
    end_of_support: Mapped[dt.date | None]
    retired_on: Mapped[dt.date | None]
    replace_by: Mapped[dt.date | None]  # as set; the derived date is app/lifecycle/rules.py's
    replacement_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    source: Mapped[str] = mapped_column(String(100), default=MANUAL_SOURCE)
    external_id: Mapped[str | None] = mapped_column(String(200))
    gid: Mapped[str] = global_ids.column("Asset")
