"""PSA webhook jobs: thin wrappers that hand a tenant's deliveries or the sweep to
app/integrations/processing and app/integrations/actions.

Register the delivery job with `keep_result=0`: a tenant's job for a second may be queued again
(by the sweeper, or a job handing over), which a kept result would block until it expires.
"""

from __future__ import annotations

import uuid

from app.integrations.actions import sweep_received
from app.integrations.processing import process_waiting
from workers.jobs import retry_transient, services


@retry_transient
async def process_waiting_deliveries(ctx, tenant_id: str) -> dict:
    """A tenant's deliveries of the last window (app/integrations/actions.py `enqueue_tenant`)."""
    return await process_waiting(services(ctx), uuid.UUID(tenant_id))


@retry_transient
async def sweep_webhook_deliveries(ctx) -> int:
    """Cron, every few minutes: queue the jobs of tenants whose deliveries Redis lost."""
    return await sweep_received(services(ctx))
