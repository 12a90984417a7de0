"""Rules written once for Python values and for SQL: what lets one definition serve both read paths.

A few derived values (a ticket target, a policy's review date, an attendee's label) are computed
by the executor from loaded rows and by the compiled reads inside the statement. Their one
definition takes either plain values or SQLAlchemy expressions and answers in kind; the
byte-for-byte tests of the compiled reads hold the two renderings equal.
"""

from __future__ import annotations

from sqlalchemy.sql import ColumnElement


def is_sql(*values) -> bool:
    """True when the rule is asked for its SQL (any argument is a SQLAlchemy expression or ORM column)."""
    return any(isinstance(v, ColumnElement) or hasattr(v, "__clause_element__") for v in values)
