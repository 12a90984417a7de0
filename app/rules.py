"""Rules written once for Python values and for SQL: what lets one definition serve both read paths.

A few derived values (a ticket target, a policy's review date, an attendee's label, the meeting
agenda's conditions and lines) are computed by the executor from loaded rows and by the compiled
reads inside the statement. Their one
definition takes either plain values or SQLAlchemy expressions and answers in kind; the
byte-for-byte tests of the compiled reads hold the two renderings equal.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Text, and_, case, cast, func, not_
from sqlalchemy.sql import ColumnElement


def is_sql(*values) -> bool:
    """True when the rule is asked for its SQL (any argument is a SQLAlchemy expression or ORM column)."""
    return any(isinstance(v, ColumnElement) or hasattr(v, "__clause_element__") for v in values)


def all_of(*conditions):
    """Every condition holds (SQL: AND)."""
    return and_(*conditions) if is_sql(*conditions) else all(conditions)


def negated(condition):
    """The condition does not hold (SQL: NOT; the condition must not be NULL)."""
    return not_(condition) if is_sql(condition) else not condition


def among(value, choices):
    """`value` is one of `choices` (SQL: IN)."""
    return value.in_(choices) if is_sql(value) else value in choices


def on_or_before(value, limit):
    """`value` is set and not after `limit`; never NULL in SQL, so it can be negated."""
    if is_sql(value, limit):
        return and_(value.is_not(None), value <= limit)
    return value is not None and value <= limit


def either(condition, then, otherwise):
    """`then` where `condition` holds, else `otherwise` (SQL: CASE)."""
    if is_sql(condition):
        return case((condition, then), else_=otherwise)
    return then if condition else otherwise


def joined(*parts):
    """The parts' text run together (an enum by its value): Python's str, SQL's concat."""
    if is_sql(*parts):
        return func.concat(*parts)
    return "".join(str(getattr(p, "value", p)) for p in parts)


def day_text(day):
    """"2026-10-14": ISO, as str(date), whatever the server's DateStyle."""
    return func.to_char(day, "YYYY-MM-DD") if is_sql(day) else day.isoformat()


def month_text(month: dt.date):
    """"2026-10"."""
    return func.to_char(month, "YYYY-MM") if is_sql(month) else f"{month:%Y-%m}"


def spoken(name):
    """An enum's name as words: OFF_TRACK is "off track"."""
    if is_sql(name):
        return func.lower(func.replace(cast(name, Text), "_", " "))
    return str(getattr(name, "value", name)).lower().replace("_", " ")
