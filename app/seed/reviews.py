"""Generated standards reviews: two completed reviews for most clients, the later one showing change.

The earlier one answers the high-priority standards, the later one the whole library.

Rows are what `app/standards/actions.py` would have written for the same answers: the score by the
one alignment rule (`app/standards/alignment.py` + `formula.alignment_score`), one finding per gap,
the later review's findings partly linked to the client's open initiatives. Each tenant draws from a
stream of its own, apart from `TenantGenerator`'s, so adding reviews changed no other generated row.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select

from app.health.formula import alignment_score
from app.months import add_months
from app.seed.specs import Period, TenantSpec
from app.seed.values import Rows, at, rng_uuid7, timestamped, versioned
from app.standards import alignment
from app.standards.actions import library_order
from app.standards.models import Alignment, ReviewStatus, Standard

NOTES = {
    Alignment.PARTIAL: ("In place for some users or sites only.", "Done, but not written down or checked.",
                        "Planned; about half rolled out."),
    Alignment.NOT_ALIGNED: ("Not in place.", "Nobody owns this yet.", "Discussed, not started."),
}
OPEN_INITIATIVES = ("PROPOSED", "APPROVED", "IN_PROGRESS")
# Clients reviewed so far: the rest are not yet (the alignment component's "no data"), as in a real
# portfolio, and the seed's rows grow by a quarter rather than by half.
REVIEWED = 2 / 3


class LibraryEntry(NamedTuple):
    id: uuid.UUID
    priority: str


async def practice_library(session, practice_id: uuid.UUID) -> list[LibraryEntry]:
    """The practice's active standards, in the library's order (what a new review answers)."""
    rows = await session.execute(
        select(Standard.id, Standard.priority)
        .where(Standard.practice_id == practice_id, Standard.active)
        .order_by(*library_order())
    )
    return [LibraryEntry(r.id, r.priority.value) for r in rows]


def review_rows(spec: TenantSpec, period: Period, library: Sequence[LibraryEntry], initiatives: Sequence[dict]) -> Rows:
    """The tenant's reviews, answers and findings: one review early in its period, one later if there is time."""
    rng = random.Random(f"reviews:{spec.seed}")
    months = period.months(spec.onboarded)
    rows: Rows = {"reviews": [], "review_answers": [], "findings": []}
    if not library or len(months) < 2 or rng.random() >= REVIEWED:
        return rows
    starts = [months[1]] + ([add_months(months[1], max(3, len(months) // 2))] if len(months) >= 6 else [])
    starts = [m for m in starts if m < period.end]
    linkable = [i["id"] for i in initiatives if str(i["status"]) in OPEN_INITIATIVES]
    for n, month in enumerate(starts):
        started = at(month + dt.timedelta(days=rng.randint(2, 12)), rng.randint(9, 15))
        completed = started + dt.timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 6))
        review_id = rng_uuid7(rng, started)
        # Better run clients answer better; the second review shows the work done since the first.
        aligned = min(0.95, 0.15 + 0.7 * spec.discipline + 0.15 * n)
        halves = possible = 0
        last = n == len(starts) - 1
        # The earlier review checked the essentials only (the high-priority standards): it keeps the
        # seed's rows, and so its speed, close to what it was before reviews.
        for entry in library if last else [e for e in library if e.priority == "HIGH"]:
            answer = _answer(rng, aligned)
            halves += alignment.earned_halves(entry.priority, answer)
            possible += alignment.weight(entry.priority, answer)
            note = rng.choice(NOTES[answer]) if answer in alignment.GAPS else None
            rows["review_answers"].append({
                "tenant_id": spec.id, "review_id": review_id, "standard_id": entry.id, "alignment": answer,
                "note": note, **timestamped(completed),
            })
            if answer in alignment.GAPS:
                rows["findings"].append({
                    "tenant_id": spec.id, "id": rng_uuid7(rng, completed), "review_id": review_id,
                    "standard_id": entry.id, "alignment": answer, "note": note,
                    "initiative_id": rng.choice(linkable) if last and linkable and rng.random() < 0.4 else None,
                })
        rows["reviews"].append({
            "tenant_id": spec.id, "id": review_id, "status": ReviewStatus.COMPLETED, "started_at": started,
            "completed_at": completed, "alignment_score": alignment_score(halves, possible), "started_by": None,
            **versioned(started, completed),
        })
    return rows


def _answer(rng: random.Random, aligned: float) -> Alignment:
    roll = rng.random()
    if roll < 0.05:
        return Alignment.NOT_APPLICABLE
    if roll < 0.05 + aligned * 0.95:
        return Alignment.ALIGNED
    return Alignment.PARTIAL if rng.random() < 0.6 else Alignment.NOT_ALIGNED
