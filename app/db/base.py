"""The declarative base and the column mixins every area's models share.

Tenant-owned tables get `tenant_id` first in their primary key, so a distributed PostgreSQL can
shard them by tenant; `TenantOwned` is the only way a model gets that column.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, Integer, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 v7): new rows land at the end of the primary-key index."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    return uuid.UUID(int=value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {uuid.UUID: UUID(as_uuid=True), dt.datetime: DateTime(timezone=True)}


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Versioned(Timestamps):
    """Optimistic concurrency: the ORM adds `WHERE version = :seen` to every UPDATE."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805
        # eager_defaults: server-computed columns (risk score, updated_at) come back via RETURNING.
        return {"version_id_col": cls.version, "eager_defaults": True}


class TenantOwned:
    """`tenant_id` leads the primary key; row-level security filters on it (see migrations)."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, sort_order=-20
    )


class TenantEntity(TenantOwned):
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7, sort_order=-10)


def tenant_fk(column: str, target: str, ondelete: str = "CASCADE") -> ForeignKeyConstraint:
    """A foreign key between tenant-owned tables: always through `(tenant_id, <column>)`.

    For a nullable reference pass `ondelete="SET NULL"`: only the reference column is cleared,
    never `tenant_id`.
    """
    if ondelete == "SET NULL":
        ondelete = f"SET NULL ({column})"
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], ondelete=ondelete
    )
