"""Which risks count as open on a given day, and what status they read as: one definition for
scoring, the portfolio and the API's two read paths.

OPEN and MITIGATING risks are open; an ACCEPTED risk is open again once its acceptance has
expired (`accepted_until` on or before the day: formula v2, DESIGN.md), and from that day it reads
OPEN in the API too (`status_on`), with no job rewriting the row. An acceptance without a date
never expires. Scoring asks as of the end of the month it scores, the portfolio's `openHighRisks`
and the API as of today. Written once for plain values and for SQL (app/rules.py).
"""

from __future__ import annotations

from sqlalchemy import and_, case, literal, or_

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


def status_on(status, accepted_until, day):
    """The status a risk reads as on `day` (the API's `Risk.status` and its filter): OPEN once its
    acceptance has expired, else as stored. No job resets the row; every read asks this."""
    if is_sql(status, accepted_until):
        return case((acceptance_expired(status, accepted_until, day), literal(RiskStatus.OPEN, status.type)), else_=status)
    return RiskStatus.OPEN if acceptance_expired(status, accepted_until, day) else RiskStatus(status)
