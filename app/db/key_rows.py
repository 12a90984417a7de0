"""The keys a batched read joins (tenant and year, tenant and first quarter), as rows of a table.

Why not `VALUES`: SQLAlchemy cannot cache a statement that holds `values(...).data(...)` (its rows
are part of the statement), so each such read was built and compiled again on every request, 3 to
4 ms of Python apiece for the budget and lifecycle forecasts' (the executive report read four).
Here each column is one array bind parameter, `unnest`ed into rows: the statement is the same for
any keys, compiled once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, column, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine


def key_rows(name: str, columns: Sequence[tuple[str, TypeEngine]], rows: Iterable[tuple]):
    """`unnest(<array per column>) AS name(columns)`: one row per tuple of `rows`, columns in order."""
    rows = list(rows)
    arrays = [bindparam(None, [row[i] for row in rows], type_=ARRAY(sql_type)) for i, (_, sql_type) in enumerate(columns)]
    return (func.unnest(*arrays).table_valued(*(column(n, t) for n, t in columns))
            .render_derived(name=name, with_types=False))
