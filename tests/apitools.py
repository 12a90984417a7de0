"""The suite's one GraphQL client: every operation is `POST /graphql` on the production ASGI app.

The app is `app.web.create_app` over the suite's PostgreSQL and Redis (real `Services`), so each
operation takes the path a client's does: token resolution and tenant scope, the queue hook and
after-commit work, compiled reads and stored answers, and the JSON body `POST /graphql` answers.
The fixtures `api` and `scene` are the whole suite's (tests/conftest.py imports them).

Two ways to name the caller:
- a user: `run(user, query, variables)` (the body), `data(user, query, variables)`,
  `mutate(user, query, input)`; the request carries a token issued for the user by
  `app.auth.tokens` (what login hands out, without the password hash's cost);
- a token, or none: `post(query, variables, token)`, `data(query, variables, token)`, and
  `login(email)` for the tests of signing in itself.

`Scene` is the cast most area tests need, built through the real actions: a practice with two
tenants, a CIO and a client executive of the first only, and a tenant of another practice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from app.api import ids
from app.audit.models import AuditEvent
from app.auth import tokens
from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.services import Services
from app.tenants.models import Role

PASSWORD = "correct horse battery"  # every test user's (tests/conftest.py's World)


class Api:
    def __init__(self, http: httpx.AsyncClient, services: Services):
        self.http = http
        self.services = services

    def token(self, user) -> str:
        """An access token for `user`, as login issues it."""
        settings = self.services.settings
        return tokens.issue(settings.secret_key, user.id, settings.token_ttl_seconds)

    async def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """The JSON body `POST /graphql` answers, sent with `token` (or none)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        return response.json()

    async def run(self, user, query: str, variables: dict | None = None) -> dict:
        """The JSON body `POST /graphql` answers `user` (None: no token): {"data": ..., "errors"?: [...]}."""
        return await self.post(query, variables, self.token(user) if user is not None else None)

    async def data(self, *args, **kwargs) -> dict:
        """The data of an operation that must succeed without GraphQL errors.

        `data(user, query, variables)` as a user, or `data(query, variables, token)` with a token.
        """
        body = await (self.post if isinstance(args[0], str) else self.run)(*args, **kwargs)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def mutate(self, user, query: str, input: dict) -> dict:
        """The payload of a one-mutation operation taking `$input`."""
        data = await self.data(user, query, {"input": input})
        (payload,) = data.values()
        return payload

    async def login(self, email: str, password: str = PASSWORD) -> str:
        """A token from the login mutation (for tests of signing in; `run(user, ...)` needs none)."""
        data = await self.data(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code message } } }",
            {"i": {"email": email, "password": password}},
        )
        assert data["login"]["userErrors"] == [], data
        return data["login"]["accessToken"]

    async def rows(self, tenant_ids, statement) -> list:
        """Rows read straight from the database (to assert what a refused write left unchanged)."""
        async with tenant_session(self.services.sessionmaker, tenant_ids) as session:
            return list((await session.execute(statement)).all())

    async def audit_actions(self, tenant) -> list[str]:
        """The tenant's audit trail, oldest first (ids are time-ordered)."""
        rows = await self.rows(
            [tenant.id], select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id)
        )
        return [r.action for r in rows]

    async def act(self, tenant, action, *args, **kwargs):
        """Run an area action as the system within `tenant` (test data through the real rules)."""
        async with tenant_session(self.services.sessionmaker, [tenant.id]) as session:
            return await action(session, Principal.system([tenant.id], tenant.practice_id), tenant.id, *args, **kwargs)


def user_error_codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def error_codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@dataclass
class Scene:
    practice: Any
    tenant: Any  # the CIO's and the executive's tenant
    other: Any  # same practice, not granted to the CIO
    foreign: Any  # another practice's tenant
    cio: Any
    executive: Any

    @staticmethod
    def gid(tenant) -> str:
        return ids.encode("Tenant", tenant.id)

    @staticmethod
    def object_id(type_name: str, row) -> str:
        return ids.encode(type_name, row.id, row.tenant_id)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def api(asgi_app) -> Api:
    transport = httpx.ASGITransport(app=asgi_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http, asgi_app.state.services)


@pytest_asyncio.fixture
async def addressed_api(asgi_app) -> Api:
    """The client from an address of its own: a test's failed sign-ins count toward its own
    address's lock only (as from separate offices), never toward another test's."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    transport = httpx.ASGITransport(app=asgi_app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http, asgi_app.state.services)


@pytest_asyncio.fixture
async def scene(world) -> Scene:
    practice = await world.practice()
    tenant = await world.tenant(practice)
    other = await world.tenant(practice)
    foreign = await world.tenant(await world.practice())
    cio = await world.user(practice, Role.CIO, [tenant])
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant])
    return Scene(practice, tenant, other, foreign, cio, executive)
