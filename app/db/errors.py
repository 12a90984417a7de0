"""The SQLSTATE of a database error, wherever the driver put it.

SQLAlchemy wraps the driver's exception (`.orig`), and asyncpg's DBAPI adapter wraps asyncpg's own
exception in turn (its `__cause__`). The code sits on whichever of them carries a `sqlstate`.
Callers decide by it: retry (a deadlock), answer 503 (a lost connection), report a conflict
(a unique violation), or keep a webhook delivery FAILED (what no retry will cure).
"""

from __future__ import annotations

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

# SQLSTATE classes that a retry can cure: connection, transaction rollback (serialization,
# deadlock), insufficient resources, operator intervention (server shutting down).
TRANSIENT_SQLSTATES = ("08", "40", "53", "57P")


def sqlstate(error: BaseException) -> str:
    """The five-character code, or "" when the error did not come from PostgreSQL."""
    seen: BaseException | None = error
    while seen is not None:
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return ""


def transient(error: BaseException) -> bool:
    """Whether the same work may well succeed if tried again later: a socket or Redis hiccup, a
    lost connection, a deadlock or serialization failure, a server shutting down."""
    if isinstance(error, OSError | RedisError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated or sqlstate(error).startswith(TRANSIENT_SQLSTATES))
