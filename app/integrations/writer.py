"""Webhook deliveries that arrive together are stored together: one statement and one commit.

A PSA sends bursts (a bulk edit, a re-sync): at 50 concurrent deliveries, a transaction each spent
most of the API's CPU on BEGIN, the tenant setting and COMMIT, and the disk on one flush per
delivery. Here each delivery joins the batch being gathered while the previous one is written;
a batch is one INSERT ... SELECT with ON CONFLICT DO NOTHING (a copy of a delivery we hold is
skipped, as before) and one commit. Alone, a delivery is a batch of one and waits for nothing.
Nobody is answered before the commit that holds their row, and the tenants of accepted deliveries
are queued for processing (one job per tenant and second, `actions.enqueue_tenant`) before their
senders are answered (the sweeper re-queues what Redis lost).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from dataclasses import dataclass

import orjson
from sqlalchemy import text

from app.db import written
from app.db.scope import tenant_session
from app.integrations.models import DeliveryStatus
from app.services import Services

log = logging.getLogger(__name__)

MAX_BATCH = 200

STORE = text("""
WITH stored AS (
    INSERT INTO webhook_deliveries (tenant_id, id, integration_id, identity, status, headers, body, attempts,
                                    received_at, processed_at)
    SELECT d.tenant_id, d.id, d.integration_id, d.identity, CAST(d.status AS delivery_status), d.headers,
           decode(d.body, 'base64'), 0, now(), CASE WHEN d.status = 'RECEIVED' THEN NULL ELSE now() END
    FROM jsonb_to_recordset(CAST(:deliveries AS jsonb))
         AS d(tenant_id uuid, id uuid, integration_id uuid, identity text, status text, headers jsonb, body text)
    ON CONFLICT (tenant_id, integration_id, identity) DO NOTHING
    RETURNING id, integration_id, status
), touched AS (
    -- last_received_at at most once a second, so a burst does not queue on the integration's row.
    UPDATE integrations SET last_received_at = now()
    WHERE id IN (SELECT integration_id FROM stored WHERE status = 'RECEIVED')
      AND (last_received_at IS NULL OR last_received_at < now() - interval '1 second')
)
SELECT id FROM stored
""")


@dataclass(frozen=True)
class Delivery:
    tenant_id: uuid.UUID
    id: uuid.UUID
    integration_id: uuid.UUID
    identity: str
    status: DeliveryStatus
    headers: dict
    body: bytes

    def as_json(self) -> dict:
        return {"tenant_id": self.tenant_id, "id": self.id, "integration_id": self.integration_id,
                "identity": self.identity, "status": self.status.value, "headers": self.headers, "body": self.body}


class DeliveryWriter:
    def __init__(self, services: Services, enqueue):
        self.services = services
        self.enqueue = enqueue
        self.waiting: list[tuple[Delivery, asyncio.Future]] = []
        self.draining: asyncio.Task | None = None

    async def store(self, delivery: Delivery) -> bool:
        """Whether the delivery was stored (False: a copy of one we hold), once it is committed."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((delivery, done))
        if self.draining is None or self.draining.done():
            self.draining = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                stored = await self._write([d for d, _ in batch])
            except Exception as error:  # every sender of the batch gets the error (nothing was stored)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            accepted = {d.tenant_id for d, _ in batch if d.id in stored and d.status == DeliveryStatus.RECEIVED}
            queued = await asyncio.gather(*(self.enqueue(self.services, t) for t in accepted), return_exceptions=True)
            for failure in (q for q in queued if isinstance(q, Exception)):
                log.warning("delivery stored but not queued (the sweeper will queue it): %s", failure)
            for delivery, done in batch:
                if not done.done():
                    done.set_result(delivery.id in stored)

    async def _write(self, batch: list[Delivery]) -> set[uuid.UUID]:
        rows = [d.as_json() for d in batch]
        async with tenant_session(self.services.sessionmaker, {d.tenant_id for d in batch}) as session:
            result = await session.execute(STORE, {"deliveries": orjson.dumps(rows, default=_bytes).decode()},
                                           execution_options=written.declare(d.tenant_id for d in batch))
            return {uuid.UUID(str(i)) for i in result.scalars()}


def _bytes(value):
    """Bodies travel base64-encoded in the JSON document (decoded by the statement); ids as text
    (the driver's own UUID type included)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def writer_for(services: Services, enqueue) -> DeliveryWriter:
    """The process's writer (kept on its Services, which live as long as the process's clients)."""
    writer = getattr(services, "_delivery_writer", None)
    if writer is None:
        writer = services._delivery_writer = DeliveryWriter(services, enqueue)
    return writer
