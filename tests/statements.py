"""Recording the SQL statements the app sends, for the tests that assert how many there are."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementLog:
    def __init__(self):
        self.statements: list[str] = []  # white space folded, for reading and counting
        self.sent: list[tuple[str, object]] = []  # each as sent, with its parameters (to run it again)

    def __len__(self):
        return len(self.statements)

    def report(self) -> str:
        return "\n".join(f"{i + 1:3}. {s[:300]}" for i, s in enumerate(self.statements))


SCOPE_SETTINGS = 2  # app.tenant_ids and app.practice_id (app/db/scope.py)


def scope_statements() -> int:
    """Statements one write of a tenant scope sends (app/db/scope.py `write_scope`): one `set_config`
    of both settings on one node; on a Citus coordinator a `SET LOCAL` per setting, since a
    `set_config` does not reach the workers (infra/README.md)."""
    return SCOPE_SETTINGS if on_cluster() else 1


def rescoping() -> int:
    """Statements an authenticated request sends on a Citus coordinator beyond one node's: its
    authentication sets the scope within its own statement, and on a coordinator writes it again
    as `SET LOCAL`s (app/auth/access.py); none on one node."""
    return SCOPE_SETTINGS if on_cluster() else 0


def on_cluster() -> bool:
    from tests.conftest import on_citus  # conftest imports this module

    return on_citus()


@contextlib.contextmanager
def recording(engine: AsyncEngine) -> Iterator[StatementLog]:
    """`with recording(engine) as log:` records every statement sent through `engine` meanwhile."""
    log = StatementLog()

    def before(conn, cursor, statement, parameters, context, executemany):
        log.statements.append(" ".join(statement.split()))
        log.sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
