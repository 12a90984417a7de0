"""PSA webhook jobs: thin wrappers that hand a delivery (or the sweep) to app/integrations/actions.

Register both delivery jobs with `keep_result=0`: the sweeper re-enqueues a delivery under
the same job id (`delivery:<id>`), which a kept result would block until it expires.
"""

from __future__ import annotations

import uuid
from collections import Counter

from app.integrations.actions import sweep_received
from app.integrations.processing import process_deliveries, process_delivery
from workers.jobs import retry_transient, services


@retry_transient
async def process_webhook_delivery(ctx, tenant_id: str, delivery_id: str) -> str:
    return await process_delivery(services(ctx), uuid.UUID(tenant_id), uuid.UUID(delivery_id))


@retry_transient
async def process_webhook_deliveries(ctx, tenant_id: str, delivery_ids: list[str]) -> dict:
    """Deliveries of one tenant that were stored together (app/integrations/writer.py): outcomes counted."""
    return Counter(await process_deliveries(services(ctx), uuid.UUID(tenant_id), [uuid.UUID(i) for i in delivery_ids]))


@retry_transient
async def sweep_webhook_deliveries(ctx) -> int:
    """Cron, every few minutes: re-enqueue accepted deliveries that Redis lost."""
    return await sweep_received(services(ctx))
