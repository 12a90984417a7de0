"""Running GraphQL operations on the real schema and database, as a given user: the area tests' harness.

Each `Api.run` is one request: one tenant-scoped transaction (committed, after-commit work run),
the principal that login would resolve for the user, and the same error shape as `POST /graphql`
(`app.api.http.format_error`). Import the fixtures into an area's conftest:
`from tests.apitools import api, scene  # noqa: F401`.

`Scene` is the cast most tests need, built through the real actions: a practice with two tenants,
a CIO and a client executive of the first only, and a tenant of another practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from app.api import ids
from app.api.context import Context, Db
from app.api.http import format_error
from app.api.schema import build_schema
from app.audit.models import AuditEvent
from app.auth.access import principal_for_user
from app.auth.principal import Principal
from app.db.scope import run_after_commit, set_tenants, tenant_session
from app.services import Services
from app.settings import Settings
from app.tenants.models import Role


class Api:
    def __init__(self, sessionmaker, engine):
        self.sessionmaker = sessionmaker
        self.services = Services(Settings(), engine, sessionmaker, redis=None)
        self.schema = build_schema(False)

    async def principal(self, user) -> Principal:
        async with tenant_session(self.sessionmaker, ()) as session:
            return await principal_for_user(session, user)

    async def run(self, user, query: str, variables: dict | None = None) -> dict:
        """The JSON body `POST /graphql` would answer: {"data": ..., "errors"?: [...]}."""
        principal = await self.principal(user)
        async with self.sessionmaker() as session:
            async with session.begin():
                await set_tenants(session, principal.tenant_ids)
                context = Context(self.services, Db(session), principal)
                result = await self.schema.execute(query, variables, context_value=context)
            await run_after_commit(session)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, "test", self.schema) for e in result.errors]
        return body

    async def data(self, user, query: str, variables: dict | None = None) -> dict:
        """The data of an operation that must succeed without GraphQL errors."""
        body = await self.run(user, query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def mutate(self, user, query: str, input: dict) -> dict:
        """The payload of a one-mutation operation taking `$input`."""
        data = await self.data(user, query, {"input": input})
        (payload,) = data.values()
        return payload

    async def rows(self, tenant_ids, statement) -> list:
        """Rows read straight from the database (to assert what a refused write left unchanged)."""
        async with tenant_session(self.sessionmaker, tenant_ids) as session:
            return list((await session.execute(statement)).all())

    async def audit_actions(self, tenant) -> list[str]:
        """The tenant's audit trail, oldest first (ids are time-ordered)."""
        rows = await self.rows(
            [tenant.id], select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id)
        )
        return [r.action for r in rows]

    async def act(self, tenant, action, *args, **kwargs):
        """Run an area action as the system within `tenant` (test data through the real rules)."""
        async with tenant_session(self.sessionmaker, [tenant.id]) as session:
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


@pytest.fixture(scope="session")
def api(sessionmaker, engine) -> Api:
    return Api(sessionmaker, engine)


@pytest_asyncio.fixture
async def scene(world) -> Scene:
    practice = await world.practice()
    tenant = await world.tenant(practice)
    other = await world.tenant(practice)
    foreign = await world.tenant(await world.practice())
    cio = await world.user(practice, Role.CIO, [tenant])
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant])
    return Scene(practice, tenant, other, foreign, cio, executive)
