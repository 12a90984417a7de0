"""Months, the unit every figure here is kept in: a month is the date of its first day.

Everything that asks "which month is it" asks in UTC, as scoring does, so the API's default month,
the CLI's and the workers' agree whatever the server's time zone.
"""

from __future__ import annotations

import datetime as dt
import re

from app.errors import Invalid

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str, field: str = "month") -> dt.date:
    match = MONTH_RE.match(value or "")
    if not match:
        raise Invalid(f"{field} must be a month written YYYY-MM, got {value!r}.", [field])
    return dt.date(int(match[1]), int(match[2]), 1)


def month_label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def last_day(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def months_after(day: dt.date, n: int) -> dt.date:
    """The same day of the month `n` calendar months later, or that month's last day when it is shorter
    (2026-01-31 + 1 -> 2026-02-28; 2028-02-29 + 12 -> 2029-02-28)."""
    month = add_months(month_start(day), n)
    return month.replace(day=min(day.day, last_day(month).day))


def utc_month_start(month: dt.date) -> dt.datetime:
    return dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)


def current_month(now: dt.datetime | None = None) -> dt.date:
    """The month it is now in UTC."""
    return month_start((now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date())


def utc_today(now: dt.datetime | None = None) -> dt.date:
    """The day it is now in UTC: "as of today" in the API."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()


def last_full_month(now: dt.datetime | None = None) -> dt.date:
    """The month before the current one (UTC): what the portfolio shows and the monthly run scores."""
    return add_months(current_month(now), -1)
