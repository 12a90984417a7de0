"""Bulk inserts for the seed: one `INSERT ... SELECT FROM unnest(<one array per column>)` per table.

COPY would be faster still, but PostgreSQL refuses `COPY FROM` into tables under row-level
security, and the seed must write through the same RLS scope as the app. Column arrays sent in
asyncpg's binary format come close: one statement, one round trip per table and batch, and the
policy still checks every row. Statements run on the session's own connection, inside its
transaction (and so inside its `app.tenant_ids` scope).

On a Citus coordinator the statement also says `RETURNING 1`. Citus runs an INSERT ... SELECT
whose rows come from the coordinator by COPY into each shard, which the worker refuses under row
security ("COPY FROM not supported with row-level security"); with a RETURNING clause it sends
the rows to the workers as intermediate results and runs an INSERT ... SELECT on each shard, under
the policy as on one node.
"""

from __future__ import annotations

import orjson
from sqlalchemy import ARRAY, Enum, String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import written
from app.db.citus import on_citus

DIALECT = postgresql.dialect()


def pg_text_array(items: list[str]) -> str:
    """A PostgreSQL array literal (`{"a","b"}`): arrays cannot nest inside the unnest arrays."""
    quoted = ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in items)
    return "{" + ",".join(quoted) + "}"


def _json(value):
    return None if value is None else orjson.dumps(value).decode()


def _array(value):
    return None if value is None else pg_text_array(value)


def _column_plan(column) -> tuple[str, str, object]:
    """(parameter array type, select expression, value converter) for one column."""
    kind = column.type
    if isinstance(kind, ARRAY):
        return "text[]", f"::{kind.compile(dialect=DIALECT)}", _array
    if isinstance(kind, Enum):
        return "text[]", f"::{kind.compile(dialect=DIALECT)}", None
    if isinstance(kind, JSONB):
        return "jsonb[]", "", _json
    if isinstance(kind, String):
        return "text[]", "", None
    return f"{kind.compile(dialect=DIALECT)}[]", "", None


def insert_statement(table: Table, columns: list[str], citus: bool = False) -> tuple[str, list]:
    plans = [_column_plan(table.c[name]) for name in columns]
    params = ", ".join(f"${i + 1}::{p[0]}" for i, p in enumerate(plans))
    select = ", ".join(f"u.c{i}{p[1]}" for i, p in enumerate(plans))
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT {select} FROM unnest({params}) AS u({aliases})"
    if citus:
        sql += " RETURNING 1"
    return sql, [p[2] for p in plans]


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict]) -> int:
    """Insert `rows` (dicts with the same keys) into `table` in one statement; returns the count."""
    if not rows:
        return 0
    columns = list(rows[0])
    sql, converters = insert_statement(table, columns, citus=await on_citus(session))
    arrays = []
    for name, convert in zip(columns, converters, strict=True):
        values = [row[name] for row in rows]
        arrays.append([convert(v) for v in values] if convert else values)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.execute(sql, *arrays)
    written.hold_rows(session, table.name, rows)  # past the session's own sight of writes
    return len(rows)
