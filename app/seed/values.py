"""The small values every generator writes: reproducible ids and instants, money, fiscal years.

Deterministic like the generators: a value's randomness comes from the stream it is given.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from decimal import Decimal

from app.health.inputs import fiscal_year_of

UTC = dt.UTC
Rows = dict[str, list[dict]]  # one tenant's rows by table name


def rng_uuid7(rng: random.Random, at: dt.datetime) -> uuid.UUID:
    """A v7 UUID whose time is `at` and whose random bits come from `rng`: ordered and reproducible."""
    ms = int(at.timestamp() * 1000)
    rand = rng.getrandbits(74)
    return uuid.UUID(
        int=(ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    )


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def money(amount: float) -> Decimal:
    """Two-decimal Decimal, never negative (the money columns all forbid it)."""
    return Decimal(max(0, round(amount * 100))).scaleb(-2)


def round_to(amount: float, step: int) -> Decimal:
    return money(max(step, round(amount / step) * step))


def fiscal_year(month: dt.date, start_month: int) -> int:
    """The health score's own naming (by starting year), so seeded budgets are the ones it reads."""
    return fiscal_year_of(month, start_month)[0]


def nth_weekday(month: dt.date, weekday: int, nth: int) -> dt.date:
    first = (weekday - month.weekday()) % 7
    return month + dt.timedelta(days=first + 7 * (nth - 1))


def weighted(rng: random.Random, choices: Sequence[tuple[object, float]]):
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def versioned(created: dt.datetime, updated: dt.datetime | None = None) -> dict:
    updated = updated or created
    return {"created_at": created, "updated_at": updated, "version": 1 if updated == created else 2}


def timestamped(created: dt.datetime, updated: dt.datetime | None = None) -> dict:
    return {"created_at": created, "updated_at": updated or created}


PRIORITIES = ((1, 0.15), (2, 0.25), (3, 0.3), (4, 0.2), (5, 0.1))


def initiative_values(rng: random.Random, template, scale: float) -> dict:
    """An initiative's priority, one-time cost, hours saved and revenue at risk, drawn from its template
    (`app.seed.catalog.InitiativeTemplate`; costs and hours scaled with head count, `scale`)."""
    return {
        "priority": weighted(rng, PRIORITIES),
        "cost_estimate": round_to(rng.uniform(*template.cost) * scale, 100),
        "hours_saved_per_month": round(rng.uniform(*template.hours_saved) * scale, 1),
        "revenue_at_risk": round_to(rng.uniform(*template.revenue_at_risk), 1000) if template.revenue_at_risk[1] else None,
    }
