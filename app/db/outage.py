"""Telling "the database cannot be reached right now" from every other database error.

The first is answered 503 with Retry-After (the client should simply retry); the others are
bugs and stay 500s. asyncpg reports a lost or refused connection in several shapes: the
SQLSTATE classes below, its connection errors, or an OSError from the socket.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, OperationalError, PendingRollbackError

from app.db.errors import sqlstate

# 08: connection exception; 57P01/02/03: admin shutdown, crash shutdown, cannot connect now (starting up).
UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


def database_unavailable(error: BaseException) -> bool:
    if isinstance(error, OSError | OperationalError):
        return True
    if isinstance(error, PendingRollbackError):
        return "invalid transaction" in str(error)  # the transaction's connection was lost
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig.__cause__ if error.orig is not None and error.orig.__cause__ is not None else error.orig
    return isinstance(cause, OSError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError) or sqlstate(error).startswith(UNAVAILABLE_STATES)
