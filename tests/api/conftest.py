"""The HTTP test harness: the real ASGI app over real PostgreSQL and Redis, driven with httpx."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from arq import create_pool

from app.services import Services, redis_settings
from app.settings import Settings
from app.web import create_app
from tests.statements import recording

PASSWORD = "correct horse battery"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def services(database_url, redis_url, engine, sessionmaker):
    settings = Settings(database_url=database_url, redis_url=redis_url, env="test")
    redis = await create_pool(redis_settings(redis_url))
    yield Services(settings, engine, sessionmaker, redis)
    await redis.aclose()


@pytest.fixture(scope="session")
def asgi_app(services):
    return create_app(services.settings, services)


@dataclass
class Api:
    http: httpx.AsyncClient

    async def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        return response.json()

    async def data(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """The response's data, failing the test on any GraphQL error."""
        body = await self.post(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def login(self, email: str, password: str = PASSWORD) -> str:
        data = await self.data(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code message } } }",
            {"i": {"email": email, "password": password}},
        )
        assert data["login"]["userErrors"] == [], data
        return data["login"]["accessToken"]


@pytest_asyncio.fixture(loop_scope="session")
async def api(asgi_app):
    transport = httpx.ASGITransport(app=asgi_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http)


@pytest.fixture
def count_statements(engine):
    """`with count_statements() as log:` records every SQL statement the app sends meanwhile."""
    return functools.partial(recording, engine)
