"""Scoring a batch of tenants for a month, and the practice's health-score weights.

`score_batch` is what every path runs (the monthly fan-out, recomputes, the CLI backfill): gather
in SQL, score in Python, one bulk upsert. It is idempotent: a retry after a crash, or two
workers scoring the same tenants at once, write the same rows; only `computed_at` moves.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import uuid
from collections.abc import Iterable, Mapping

import orjson
from sqlalchemy import delete, func, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.actions import record
from app.auth.principal import Principal
from app.db import written
from app.db.scope import in_batch, tenant_session
from app.errors import Forbidden, Invalid
from app.health.formula import FORMULA_VERSION, KEYS, V1_KEYS, carried_over, score
from app.health.inputs import gather_inputs
from app.health.models import StaleHealthMonth
from app.tenants.models import Practice

WEIGHT_SUM_TOLERANCE = 1e-9


# Rows carried to PostgreSQL as one JSON document: one statement, not one per row (an
# executemany of 500 rows took 0.3 s where this takes 15 ms). An update takes the inserted row's
# `now()` (the transaction's instant either way): Citus refuses a function in DO UPDATE SET.
UPSERT_SCORES = text("""
INSERT INTO health_scores (tenant_id, month, score, band, components, inputs, formula_version, computed_at)
SELECT tenant_id, month, score, band, components, inputs, formula_version, now()
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(tenant_id uuid, month date, score smallint, band varchar,
     components jsonb, inputs jsonb, formula_version smallint)
ORDER BY tenant_id
ON CONFLICT (tenant_id, month) DO UPDATE SET score = excluded.score, band = excluded.band,
    components = excluded.components, inputs = excluded.inputs, formula_version = excluded.formula_version,
    computed_at = excluded.computed_at
""")

async def score_batch(
    sessionmaker: async_sessionmaker, tenant_ids: Iterable[uuid.UUID], month: dt.date,
    timings: dict[str, float] | None = None,
) -> int:
    """Score the active tenants among `tenant_ids` for `month`; returns how many were scored.

    The transaction is scoped to exactly the batch (a system principal's view). Tenants that are
    offboarded or gone are skipped, not failed. The batch's stale marks are deleted FIRST: a mark
    written by a transaction that has not committed yet is invisible to that delete and survives,
    so a change that lands while the batch is being scored is always scored again later.
    `timings`, when given, accumulates the seconds spent gathering, scoring and writing.
    """
    ids = sorted(set(tenant_ids))
    if not ids:
        return 0
    clock = Clock(timings)
    async with tenant_session(sessionmaker, ids) as session:
        await session.execute(
            delete(StaleHealthMonth).where(
                in_batch(StaleHealthMonth.tenant_id, ids),
                StaleHealthMonth.month == month,
                StaleHealthMonth.marked_at <= func.now(),
            )
        )
        gathered = await gather_inputs(session, ids, month)
        clock.lap("inputs")
        rows = []
        for tenant in gathered:
            result = score(tenant.inputs, tenant.weights)
            rows.append({
                "tenant_id": tenant.tenant_id,
                "month": month,
                "score": result.score,
                "band": result.band,
                "components": result.components_json(),
                "inputs": tenant.inputs.to_json(),
                "formula_version": FORMULA_VERSION,
            })
        clock.lap("formula")
        if rows:
            # Rows in primary-key order: concurrent batches lock them in the same order.
            await session.execute(UPSERT_SCORES, {"rows": orjson.dumps(rows, default=str).decode()},
                                  execution_options=written.declare(r["tenant_id"] for r in rows))
    clock.lap("upsert")
    return len(rows)


class Clock:
    """Seconds per phase, added to a caller's dict (or nothing when there is none)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def validate_weights(weights: Mapping[str, float] | None) -> dict[str, float] | None:
    """The eight component keys, each between 0 and 1, summing to 1; None restores the defaults.

    Version 1's six keys alone are accepted too and carried over (`formula.carried_over`: scaled
    to 0.75, alignment 0.15 and lifecycle 0.10 added), so a client that knows only six still sets
    weights that sum to 1; what is stored is always the eight.
    """
    if weights is None:
        return None
    if set(weights) not in (set(KEYS), set(V1_KEYS)):
        raise Invalid(
            f"weights must name exactly these components: {', '.join(KEYS)} "
            f"(or the first six alone, to carry them over).", ["weights"],
        )
    clean = {}
    for key in weights:
        value = weights[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise Invalid(f"The weight of {key} must be a number.", ["weights", key])
        if not 0 <= value <= 1:
            raise Invalid(f"The weight of {key} must be between 0 and 1.", ["weights", key])
        clean[key] = float(value)
    if abs(math.fsum(clean.values()) - 1) > WEIGHT_SUM_TOLERANCE:
        raise Invalid(f"The weights must sum to 1 (they sum to {math.fsum(clean.values()):g}).", ["weights"])
    carried = carried_over(clean)
    return {key: carried[key] for key in KEYS}


async def set_health_weights(
    session: AsyncSession, actor: Principal, weights: Mapping[str, float] | None
) -> Practice:
    """Set the actor's practice's weights (practice admins only); they apply from the next scoring.

    Stored scores keep the weights they were computed with (each component stores its share).
    The audit trail is per tenant, so the change is recorded once under every tenant of the
    practice the admin sees: each client's history shows why its scores may move.
    """
    if not actor.is_admin:
        raise Forbidden("Only practice admins change the health-score weights.")
    clean = validate_weights(weights)
    practice = await session.get(Practice, actor.practice_id)
    before = {"health_weights": practice.health_weights}
    practice.health_weights = clean
    await session.flush()
    await record(
        session, actor, actor.tenant_ids, "practice.health_weights", "Practice", practice.id, before,
        {"health_weights": clean},
    )
    return practice
