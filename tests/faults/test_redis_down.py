"""Redis stopped: the API keeps reading and writing, webhooks are stored, and the work waits, not lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api import ids
from app.db.scope import tenant_session
from app.health.models import HealthScore, StaleHealthMonth
from app.health.recompute import sweep_stale
from app.integrations import actions as integration_actions
from app.integrations.models import DeliveryStatus, WebhookDelivery
from app.tickets.models import Ticket
from tests.integrations.payloads import halopsa
from tests.security.cast import Gql
from workers.main import create_worker

CLOSED_MONTH = "2026-01"


async def rows(sessionmaker, tenant_id, model) -> list:
    async with tenant_session(sessionmaker, [tenant_id]) as session:
        return list(await session.scalars(select(model).where(model.tenant_id == tenant_id)))


@pytest.mark.slow
async def test_with_redis_down_the_api_serves_and_webhooks_wait_then_everything_is_processed(stack, own_redis, monkeypatch):
    sm = stack.services.sessionmaker
    tenant, gid, token, email = await stack.signed_in_cio()
    gql = Gql(stack.http)
    integration = await gql.mutate(token, "createIntegration", {"tenantId": gid, "vendor": "HALOPSA"}, "integration { id } secret")
    webhook = f"/integrations/{ids.decode(integration['integration']['id']).id}/webhook"

    own_redis.stop()
    try:
        ready = await stack.http.get("/readyz")
        alive = await stack.http.get("/healthz")
        login_again = await gql.login(email)
        write = await gql.mutate(token, "createRisk", {
            "tenantId": gid, "title": "Redis is down", "category": "OPERATIONAL", "likelihood": 2, "impact": 3}, "risk { id }")
        late_figures = await gql.mutate(token, "recordTicketMetrics", {
            "tenantId": gid, "month": CLOSED_MONTH, "support": 30, "change": 2, "alert": 1}, "ticketMonth { total }")
        read = await gql.data("query($t: ID!) { tenant(id: $t) { risks { totalCount } } }", {"t": gid}, token)
        body, headers = halopsa(integration["secret"], ticket_id=4242)
        delivered = await stack.http.post(webhook, content=body, headers=headers)
        stored_while_down = await rows(sm, tenant.id, WebhookDelivery)
    finally:
        own_redis.start()

    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("down")
    assert ready.json()["checks"]["database"] == "ok" and alive.status_code == 200
    assert login_again and write["risk"]["id"] and late_figures["ticketMonth"]["total"] == 33
    assert read["tenant"]["risks"]["totalCount"] == 1
    assert delivered.status_code == 202
    assert [d.status for d in stored_while_down] == [DeliveryStatus.RECEIVED]
    assert [m.month.isoformat()[:7] for m in await rows(sm, tenant.id, StaleHealthMonth)] == [CLOSED_MONTH]

    # Redis is back: the worker's sweeps find what waits (without their 60 s grace) and a worker runs it.
    monkeypatch.setattr(integration_actions, "SWEEP_AFTER_SECONDS", 0)
    assert await integration_actions.sweep_received(stack.services) == 1
    assert await sweep_stale(stack.services.redis, sm, 100) >= 1
    worker = create_worker(stack.services.settings, burst=True, handle_signals=False, poll_delay=0.05, cron_jobs=[])
    try:
        await worker.async_run()
    finally:
        await worker.close()

    assert worker.jobs_failed == 0
    assert [d.status for d in await rows(sm, tenant.id, WebhookDelivery)] == [DeliveryStatus.PROCESSED]
    assert [t.external_id for t in await rows(sm, tenant.id, Ticket)] == ["4242"]
    # The late figures' month and the webhook ticket's (September) are both scored.
    assert {s.month.isoformat()[:7] for s in await rows(sm, tenant.id, HealthScore)} == {CLOSED_MONTH, "2026-09"}
    assert await rows(sm, tenant.id, StaleHealthMonth) == []
