"""Vendors: commodity suppliers and strategic partners, with cost and contract end."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import global_ids
from app.db.base import Base, TenantEntity, Versioned
from app.tenants.models import pg_enum


class VendorRelationship(enum.StrEnum):
    COMMODITY = "COMMODITY"
    PARTNER = "PARTNER"


class Vendor(TenantEntity, Versioned, Base):
    __tablename__ = "vendors"
    __table_args__ = (CheckConstraint("annual_cost >= 0", name="annual_cost_non_negative"),)

    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[VendorRelationship] = mapped_column(pg_enum(VendorRelationship, "vendor_relationship"))
    annual_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    contract_end: Mapped[dt.date | None]
    gid: Mapped[str] = global_ids.column("Vendor")  # its Relay id, stored (app/db/global_ids.py)
