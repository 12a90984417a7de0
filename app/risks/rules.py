"""Which risks count as open on a given day: one definition for scoring and the portfolio.

OPEN and MITIGATING risks are open; an ACCEPTED risk is open again once its acceptance has
expired (`accepted_until` on or before the day: formula v2, DESIGN.md). An acceptance without a
date never expires. Scoring asks as of the end of the month it scores, the portfolio's
`openHighRisks` as of today. Written once for plain values and for SQL (app/rules.py).
"""

from __future__ import annotations

from sqlalchemy import and_, or_

from app.risks.models import RiskStatus
from app.rules import is_sql

ACTIVE = (RiskStatus.OPEN, RiskStatus.MITIGATING)


def acceptance_expired(status, accepted_until, day):
    """ACCEPTED, with its acceptance over by `day`."""
    if is_sql(status, accepted_until):
        return and_(status == RiskStatus.ACCEPTED, accepted_until <= day)
    return RiskStatus(status) is RiskStatus.ACCEPTED and accepted_until is not None and accepted_until <= day


def open_on(status, accepted_until, day):
    """Counted as open on `day`: OPEN, MITIGATING, or an expired acceptance."""
    if is_sql(status, accepted_until):
        return or_(status.in_(ACTIVE), acceptance_expired(status, accepted_until, day))
    return RiskStatus(status) in ACTIVE or acceptance_expired(status, accepted_until, day)
