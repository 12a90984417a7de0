"""Which month it is, asked in UTC whatever the caller's clock or zone."""

from __future__ import annotations

import datetime as dt

from app.months import add_months, current_month, last_day, last_full_month

EAST = dt.timezone(dt.timedelta(hours=2))
WEST = dt.timezone(dt.timedelta(hours=-5))


def test_the_month_is_the_utc_month_not_the_local_one():
    # Half past midnight on 1 December in UTC+2 is still 30 November in UTC.
    assert current_month(dt.datetime(2026, 12, 1, 0, 30, tzinfo=EAST)) == dt.date(2026, 11, 1)
    assert last_full_month(dt.datetime(2026, 12, 1, 0, 30, tzinfo=EAST)) == dt.date(2026, 10, 1)
    # 30 November at 21:00 in UTC-5 is already December in UTC.
    assert last_full_month(dt.datetime(2026, 11, 30, 21, 0, tzinfo=WEST)) == dt.date(2026, 11, 1)


def test_month_arithmetic_crosses_years():
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2026, 12, 1), 13) == dt.date(2028, 1, 1)
    assert last_day(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)
