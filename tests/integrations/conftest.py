"""The webhook endpoint mounted in a tiny Starlette app, with real Services, and a loopback key server.

The Services use their own Redis database number, so the jobs our endpoint enqueues never reach
another suite's burst worker.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Route

from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.integrations import actions, processing
from app.integrations.models import WebhookDelivery
from app.integrations.webhook import webhook
from app.services import Services
from app.settings import Settings
from app.tickets.models import Ticket, TicketMonth

SECRET_KEY = "integration-tests-secret-key-0123456789abcdef"
SIGNING_KEY = "cw-signing-key-from-the-loopback-server"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def services(database_url, redis_url):
    settings = Settings(
        _env_file=None, DATABASE_URL=database_url, REDIS_URL=redis_url.rsplit("/", 1)[0] + "/9",
        secret_key=SECRET_KEY, env="test",
    )
    services = await Services.start(settings)
    yield services
    await services.close()


@pytest_asyncio.fixture(loop_scope="session")
async def client(services):
    app = Starlette(routes=[Route("/integrations/{integration_id}/webhook", webhook, methods=["POST"])])
    app.state.services = services
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fcio.test") as client:
        yield client


class KeyHandler(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802 -- the http.server API
        type(self).hits += 1
        body = json.dumps({"signing_key": SIGNING_KEY}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def key_server():
    """A loopback stand-in for ConnectWise's callback-key URL; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@dataclass
class Client:
    """A tenant with its system principal (what the CLI and workers act as)."""

    tenant: object
    actor: Principal


@pytest_asyncio.fixture(loop_scope="session")
async def client_tenant(world) -> Client:
    practice = await world.practice()
    tenant = await world.tenant(practice)
    return Client(tenant, Principal.system([tenant.id], practice.id))


async def make_integration(services, who: Client, vendor, **options):
    async with tenant_session(services.sessionmaker, who.actor.tenant_ids) as session:
        return await actions.create_integration(
            session, who.actor, who.tenant.id, vendor, secret_key=SECRET_KEY, **options
        )


async def deliveries(services, tenant_id: uuid.UUID) -> list[WebhookDelivery]:
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        return list(await session.scalars(select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)))


async def tickets(services, tenant_id: uuid.UUID) -> list[Ticket]:
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        return list(await session.scalars(select(Ticket).where(Ticket.tenant_id == tenant_id)))


async def months(services, tenant_id: uuid.UUID) -> dict:
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        rows = await session.scalars(select(TicketMonth).where(TicketMonth.tenant_id == tenant_id))
        return {(r.month, r.source): (r.support, r.change, r.alert) for r in rows}


async def count(services, tenant_id: uuid.UUID, model) -> int:
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        return await session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))


async def process_all(services, tenant_id: uuid.UUID) -> list[str]:
    """What the worker does for the accepted deliveries waiting: one batch job (tests call the action directly)."""
    waiting = sorted(d.id for d in await deliveries(services, tenant_id) if d.status.value == "RECEIVED")
    return await processing.process_deliveries(services, tenant_id, waiting)
