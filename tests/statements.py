"""Recording the SQL statements the app sends, for the tests that assert how many there are."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementLog:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)

    def report(self) -> str:
        return "\n".join(f"{i + 1:3}. {s[:300]}" for i, s in enumerate(self.statements))


@contextlib.contextmanager
def recording(engine: AsyncEngine) -> Iterator[StatementLog]:
    """`with recording(engine) as log:` records every statement sent through `engine` meanwhile."""
    log = StatementLog()

    def before(conn, cursor, statement, parameters, context, executemany):
        log.statements.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
