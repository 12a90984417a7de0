"""One row of a statement that runs on every request, straight from asyncpg, in the session's transaction.

Why: the authenticating statement runs before every request, and the compiled read's statement
after it. Through the ORM the first cost about 0.5 ms of the API's CPU and through
`exec_driver_sql` 0.34 ms, against 0.13 ms straight from asyncpg (measured on the bench data): a
stored answer's whole request is about 2 ms. What the layers above did that these statements need
is done here, so callers, the pool and the suite see what they saw before: the transaction
SQLAlchemy would begin is begun first (the statements set transaction-local settings), the
statement is prepared once per connection in the adapter's cache, a failure comes out as
SQLAlchemy's `DBAPIError`, a lost connection invalidates the pooled one, and listeners of
`before_cursor_execute` see the statement (the suite counts statements so).
Only reads go this way: writes pass through the session, which holds their tenants (app/db/written.py).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once: its text, its parameters' order and its literals' values."""

    sql: str
    order: tuple[str, ...]
    literals: Mapping[str, Any]  # the values the statement itself binds, as the driver takes them

    def arguments(self, values: Mapping[str, Any]) -> tuple:
        return tuple(values[name] if name in values else self.literals[name] for name in self.order)


@functools.cache
def prepared(statement: ClauseElement, dialect: Dialect) -> Prepared:
    """`statement` compiled for `dialect` (a statement built once, e.g. by a cached builder)."""
    compiled = statement.compile(dialect=dialect)
    processors = compiled._bind_processors
    literals = {name: processors[name](value) if name in processors else value
                for name, value in compiled.construct_params(_check=False).items()}
    return Prepared(compiled.string, tuple(compiled.positiontup or ()), literals)


class Record:
    """A row by attribute, as SQLAlchemy's rows are read (`row.ids`)."""

    __slots__ = ("_record",)

    def __init__(self, record):
        self._record = record

    def __getattr__(self, name: str):
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None


async def fetch_row(session: AsyncSession, statement: ClauseElement, values: Mapping[str, Any]) -> Record | None:
    """The first row of `statement` (built once) with `values` for its parameters, or None."""
    connection = await session.connection()
    plan = prepared(statement, connection.dialect)
    record = await _fetch(connection, plan.sql, plan.arguments(values))
    return None if record is None else Record(record)


async def fetch_record(session: AsyncSession, sql: str, arguments: tuple):
    """asyncpg's first row of `sql` ($1, $2, ... are `arguments`, passed as they are), or None."""
    return await _fetch(await session.connection(), sql, arguments)


async def _fetch(connection: AsyncConnection, sql: str, arguments: tuple):
    adapter = (await connection.get_raw_connection()).dbapi_connection
    sync = connection.sync_connection
    if sync._has_events or sync.engine._has_events:  # what listens to statements sees this one too
        sync.dispatch.before_cursor_execute(sync, None, sql, arguments, None, False)
    try:
        async with adapter._execute_mutex:
            if adapter._transaction is None:
                await adapter._start_transaction()
            # The adapter's cache, as its cursor uses it: asyncpg's own keeps no statement over
            # 15 kB, and the portfolio's and the report's (40-50 kB) were then planned every time.
            statement, _ = await adapter._prepare(sql, connection.dialect._invalidate_schema_cache_asof)
            return await statement.fetchrow(*arguments)
    except Exception as error:
        translated = _translated(adapter, error)
        lost = connection.dialect.is_disconnect(translated, adapter, None)
        if lost:
            await connection.invalidate(translated)
        raise DBAPIError.instance(sql, arguments, translated, adapter.dbapi.Error,
                                  connection_invalidated=lost) from error


def _translated(adapter, error: Exception) -> Exception:
    """The driver's error as SQLAlchemy's adapter raises it (its DBAPI error classes)."""
    if isinstance(error, adapter.dbapi.Error):
        return error
    try:
        adapter._handle_exception(error)
    except Exception as raised:  # noqa: BLE001 -- it raises the translated error, or `error` itself
        return raised
    return error
