"""The async engine. Every connection runs as the runtime role `fcio_app`, whatever role the URL names.

`server_settings={"role": ...}` is sent in the startup packet, so the role is in force from the
first statement and survives `RESET ALL` when the pool recycles a connection.
"""

from __future__ import annotations

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from app.db import citus, written

RUNTIME_ROLE = "fcio_app"


def async_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` URLs too; the app always speaks asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.split(':', 1)[0]}://...")


# What every connection sets in its startup packet; `citus.propagate_set_commands` is a setting
# nothing reads on a single node, on a Citus coordinator a `SET LOCAL` then reaches the workers
# (app/db/scope.py).
SERVER_SETTINGS = {"jit": "off", "application_name": "fcio", "citus.propagate_set_commands": "local"}
# And the runtime role's, which reads no catalog of its own: Citus hides shards from catalog reads
# by filtering every scan of `pg_class` through a function, and asyncpg's type introspection (once
# per new connection and type it meets, an enum column's first statement) scans it per type: 0.4-
# 1.1 s on a coordinator against 3 ms with the filter off (infra/README.md). The owner's
# connections (migrations, catalog checks) keep it: the coordinator holds the reference tables'
# shards, which they must not take for tables of the schema.
SHARDS_UNHIDDEN = {"citus.override_table_visibility": "off"}
RUNTIME_SETTINGS = {**SERVER_SETTINGS, **SHARDS_UNHIDDEN, "role": RUNTIME_ROLE}


def make_engine(url: str, *, runtime_role: bool = True, pool_size: int = 10) -> AsyncEngine:
    settings = RUNTIME_SETTINGS if runtime_role else SERVER_SETTINGS
    engine = create_async_engine(
        async_url(url),
        # JSONB columns (score components and inputs, audit snapshots) dominate bulk writes.
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
        connect_args={"server_settings": dict(settings)},
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: with asyncpg it is a BEGIN and a ROLLBACK before every transaction (two
        # round trips, a fifth of a dashboard request). After a database restart the first use
        # of each stale connection fails instead; that request answers 503 (app/db/outage.py),
        # and the failure invalidates the whole pool, so the next requests connect afresh.
        pool_recycle=1800,
    )
    citus.watch(engine)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=written.TrackedSession)
