"""PSA webhook jobs: thin wrappers that hand a tenant's deliveries, one delivery or the sweep to
app/integrations/processing and app/integrations/actions.

Register both delivery jobs with `keep_result=0`: the sweeper re-enqueues a delivery under the
same job id (`delivery:<id>`), which a kept result would block until it expires.
"""

from __future__ import annotations

import uuid

from app.integrations.actions import sweep_received
from app.integrations.processing import process_delivery, process_waiting
from workers.jobs import retry_transient, services


@retry_transient
async def process_webhook_delivery(ctx, tenant_id: str, delivery_id: str) -> str:
    return await process_delivery(services(ctx), uuid.UUID(tenant_id), uuid.UUID(delivery_id))


@retry_transient
async def process_waiting_deliveries(ctx, tenant_id: str) -> dict:
    """A tenant's deliveries of the last window (app/integrations/actions.py `enqueue_tenant`)."""
    return await process_waiting(services(ctx), uuid.UUID(tenant_id))


@retry_transient
async def sweep_webhook_deliveries(ctx) -> int:
    """Cron, every few minutes: re-enqueue accepted deliveries that Redis lost."""
    return await sweep_received(services(ctx))
