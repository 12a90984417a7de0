"""Fixtures of the attack suites: the real ASGI app (test and production builds) and the cast."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from app.db.engine import make_engine, make_sessionmaker
from app.services import Services
from app.settings import Settings
from app.web import create_app
from tests.accounts.conftest import (  # noqa: F401 -- the accounts' fixtures (test_accounts.py)
    accounts,
    queue,
    queue_name,
    run_burst,
    settings,
    smtp_server,
)
from tests.conftest import World
from tests.security.cast import Cast, Gql, build_cast

PRODUCTION_SECRET = "production-secret-for-the-attack-suite-0123456789"


def client_for(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30)


@pytest.fixture(scope="session")
def attack_app(services):
    """The test build with an API-key budget no run reaches: thousands of attempts through one key
    must not be cut short by the per-key rate limit (tested in tests/api/test_contract.py)."""
    app_settings = services.settings.model_copy(update={"api_key_requests_per_minute": 1_000_000})
    return create_app(app_settings, Services(app_settings, services.engine, services.sessionmaker, services.redis))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gql(attack_app) -> Gql:
    async with client_for(attack_app) as http:
        yield Gql(http)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bypassing_gql(services, database_url):
    """The attack app on connections that bypass row security (the URL's own role, no runtime
    role): what the API's checks and queries hold alone."""
    engine = make_engine(database_url, runtime_role=False)
    async with engine.connect() as conn:
        assert not await conn.scalar(text("select row_security_active('risks')"))
    app_settings = services.settings.model_copy(update={"api_key_requests_per_minute": 1_000_000})
    app = create_app(app_settings, Services(app_settings, engine, make_sessionmaker(engine), services.redis))
    try:
        async with client_for(app) as http:
            yield Gql(http)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def cast(gql, sessionmaker) -> Cast:
    return await build_cast(gql, World(sessionmaker))


@pytest.fixture(scope="session")
def production_app(services):
    """The app as production builds it: introspection off, no suggestions, no GraphiQL."""
    app_settings = Settings(
        _env_file=None, env="production", secret_key=PRODUCTION_SECRET,
        password_hash_profile="rfc9106-low-memory",  # not the suite's cheapest, which production refuses
        DATABASE_URL=services.settings.database_url, REDIS_URL=services.settings.redis_url,
    )
    production = Services(app_settings, services.engine, services.sessionmaker, services.redis)
    return create_app(app_settings, production)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def production(production_app) -> Gql:
    async with client_for(production_app) as http:
        yield Gql(http)
