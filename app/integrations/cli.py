"""`fcio deliveries replay --integration ID --failed`: replay an integration's failed deliveries.

Meant for after the mapping was fixed. Each delivery is replayed in its own transaction, so one
that still fails does not hold back the others; the counts say what became of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from app.auth.principal import Principal
from app.db.queue import use_queue
from app.db.scope import tenant_session
from app.errors import NotFound
from app.integrations.models import DeliveryStatus, Integration, WebhookDelivery
from app.integrations.processing import replay_delivery
from app.services import Services


@dataclass(frozen=True)
class ReplayReport:
    replayed: int
    processed: int
    still_failed: int


async def replay_failed(services: Services, integration_id: uuid.UUID) -> ReplayReport:
    async with tenant_session(services.sessionmaker, ()) as session:
        integration = await session.get(Integration, integration_id)
    if integration is None:
        raise NotFound("Integration not found.", ["integration"])
    actor = Principal.system([integration.tenant_id], integration.practice_id)
    async with tenant_session(services.sessionmaker, actor.tenant_ids) as session:
        failed = list(
            await session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.tenant_id == integration.tenant_id,
                    WebhookDelivery.integration_id == integration.id,
                    WebhookDelivery.status == DeliveryStatus.FAILED,
                )
                .order_by(WebhookDelivery.id)
            )
        )
    still_failed = 0
    for delivery_id in failed:
        async with tenant_session(services.sessionmaker, actor.tenant_ids) as session:
            use_queue(session, services.redis)
            delivery = await replay_delivery(session, actor, integration.tenant_id, delivery_id)
            still_failed += delivery.status == DeliveryStatus.FAILED
    return ReplayReport(len(failed), len(failed) - still_failed, still_failed)
