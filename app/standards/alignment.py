"""How aligned a client is with the practice's standards: one definition for reviews and scoring.

`100 * sum(w * v) / sum(w)` over the answers that apply (DESIGN.md, formula v2): `w` by the
standard's priority, `v` by the answer; NOT_APPLICABLE is in neither sum. `completeReview` stores
`formula.alignment_score` without the staleness deduction; the health formula deducts for an old
review. The
weight and the value answer in kind (app/rules.py), so scoring sums them in SQL with the same
numbers. Values are kept in halves so every sum is an exact integer.
"""

from __future__ import annotations

from sqlalchemy import case, literal

from app.rules import is_sql
from app.standards.models import Alignment, StandardPriority

WEIGHTS = {StandardPriority.HIGH: 5, StandardPriority.MEDIUM: 3, StandardPriority.LOW: 1}
HALVES = {Alignment.ALIGNED: 2, Alignment.PARTIAL: 1, Alignment.NOT_ALIGNED: 0}  # v = halves / 2
GAPS = frozenset({Alignment.PARTIAL, Alignment.NOT_ALIGNED})  # the answers that become findings


def weight(priority, alignment):
    """The standard's weight when the answer applies, else 0 (NOT_APPLICABLE counts in neither sum)."""
    if is_sql(priority, alignment):
        return case(*((priority == p.value, w) for p, w in WEIGHTS.items()), else_=0) * case(
            (alignment == Alignment.NOT_APPLICABLE.value, 0), else_=1)
    return 0 if Alignment(alignment) is Alignment.NOT_APPLICABLE else WEIGHTS[StandardPriority(priority)]


def earned_halves(priority, alignment):
    """`2 * w * v`: the answer's points, in halves."""
    if is_sql(priority, alignment):
        halves = case(*((alignment == a.value, h) for a, h in HALVES.items()), else_=0)
        return case(*((priority == p.value, w) for p, w in WEIGHTS.items()), else_=literal(0)) * halves
    return WEIGHTS[StandardPriority(priority)] * HALVES.get(Alignment(alignment), 0)

