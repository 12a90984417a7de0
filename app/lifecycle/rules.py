"""When an asset must be replaced, and what that makes it on a given day (DESIGN.md, formula v2).

Written once for plain values and for SQL (app/rules.py): the API derives `replaceBy` and
`status` as of today, scoring as of the month's end, the forecast and the list filter in the
statement; all of them call these functions.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import Date as SqlDate
from sqlalchemy import and_, case, cast, func, literal, or_, type_coerce

from app.lifecycle.models import AssetKind, LifecycleStatus
from app.rules import is_sql

# A kind's service life in years from purchase; software and cloud services have none.
LIFECYCLE_YEARS = {
    AssetKind.LAPTOP: 4, AssetKind.WORKSTATION: 5, AssetKind.SERVER: 5, AssetKind.NETWORK: 7,
    AssetKind.STORAGE: 5, AssetKind.MOBILE: 3, AssetKind.PRINTER: 6, AssetKind.OTHER: 5,
}
# A warranty decides only for hardware: the kinds with a service life.
HARDWARE = frozenset(LIFECYCLE_YEARS)
EXPIRING_DAYS = 180  # EXPIRING: the replacement date falls within this many days after the day asked


def _plus_years(day: dt.date, years: int) -> dt.date:
    """`day` + `years` as PostgreSQL adds an interval of years: 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def replacement_date(kind, replace_by, end_of_support, warranty_end, purchased_on):
    """`replaceBy` as set, else the earliest of end of support, warranty end (hardware) and purchase + life."""
    if is_sql(kind, replace_by, end_of_support, warranty_end, purchased_on):
        years = case(*((kind == k.value, y) for k, y in LIFECYCLE_YEARS.items()), else_=None)
        aged = cast(purchased_on + func.make_interval(years), SqlDate)
        warranty = case((kind.in_([k.value for k in HARDWARE]), warranty_end), else_=None)
        return func.coalesce(replace_by, func.least(end_of_support, warranty, aged))
    if replace_by is not None:
        return replace_by
    kind = AssetKind(kind)
    years = LIFECYCLE_YEARS.get(kind)
    dates = [end_of_support, warranty_end if kind in HARDWARE else None,
             _plus_years(purchased_on, years) if purchased_on is not None and years else None]
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def lifecycle_status(replacement, day):
    """UNSUPPORTED on or before `day`, EXPIRING within the 180 days after, CURRENT later, UNKNOWN without a date."""
    if is_sql(replacement, day):
        day = type_coerce(day, SqlDate) if not is_sql(day) else day
        return case(
            (replacement.is_(None), literal(LifecycleStatus.UNKNOWN.value)),
            (replacement <= day, literal(LifecycleStatus.UNSUPPORTED.value)),
            (replacement <= day + EXPIRING_DAYS, literal(LifecycleStatus.EXPIRING.value)),
            else_=literal(LifecycleStatus.CURRENT.value),
        )
    if replacement is None:
        return LifecycleStatus.UNKNOWN
    if replacement <= day:
        return LifecycleStatus.UNSUPPORTED
    if replacement <= day + dt.timedelta(days=EXPIRING_DAYS):
        return LifecycleStatus.EXPIRING
    return LifecycleStatus.CURRENT


def in_service(purchased_on, retired_on, day):
    """Purchased on or before `day` (or no purchase date) and not retired by it."""
    if is_sql(purchased_on, retired_on):
        return and_(or_(purchased_on.is_(None), purchased_on <= day), or_(retired_on.is_(None), retired_on > day))
    return (purchased_on is None or purchased_on <= day) and (retired_on is None or retired_on > day)


@functools.lru_cache(maxsize=64)
def asset_replacement(t):
    """`replacement_date` of the assets table `t` (or an alias). Kept per table: the expression is
    large (a CASE per kind), and the forecasts used it five times a request, built anew each time."""
    return replacement_date(t.c.kind, t.c.replace_by, t.c.end_of_support, t.c.warranty_end, t.c.purchased_on)
