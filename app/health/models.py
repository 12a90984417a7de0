"""Stored health scores, and the tenant-months whose inputs changed after they were scored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantOwned


class HealthScore(TenantOwned, Base):
    __tablename__ = "health_scores"
    __table_args__ = (
        CheckConstraint("score between 0 and 100", name="score_range"),
        CheckConstraint("extract(day from month) = 1", name="month_first_day"),
    )

    month: Mapped[dt.date] = mapped_column(primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    band: Mapped[str] = mapped_column(String(10))
    # [{"key", "score", "weight", "explanation"}, ...] in the formula's order.
    components: Mapped[list] = mapped_column(JSONB)
    # The plain inputs the formula was given, so a score can be explained later.
    inputs: Mapped[dict] = mapped_column(JSONB)
    formula_version: Mapped[int] = mapped_column(SmallInteger)
    computed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class StaleHealthMonth(TenantOwned, Base):
    """Written in the same transaction as a change to a past month's inputs.

    The recompute job deletes the mark it scored; a sweeper enqueues what is left, so a recompute
    is never lost when Redis was down at the time of the write.
    """

    __tablename__ = "stale_health_months"

    month: Mapped[dt.date] = mapped_column(primary_key=True)
    marked_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
