"""POST /integrations/{id}/webhook: each vendor's real signing scheme accepted, anything else refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from arq.jobs import Job

from app.integrations.actions import WINDOW_SECONDS
from app.integrations.models import DeliveryStatus, PsaVendor
from app.tickets.models import Ticket, TicketCategory
from tests.integrations import payloads
from tests.integrations.conftest import count, deliveries, make_integration, months, process_all, tickets
from workers.main import create_worker

RULES = {
    PsaVendor.CONNECTWISE: [{"when": {"board": ["Alerts"]}, "category": "ALERT"}],
    PsaVendor.AUTOTASK: [{"when": {"queue": ["Monitoring Alert"]}, "category": "ALERT"}],
    PsaVendor.HALOPSA: [{"when": {"tickettype": ["alert"]}, "category": "ALERT"}],
}


async def setup(services, who, vendor, key_server):
    integration, secret = await make_integration(
        services, who, vendor, rules=RULES[vendor], key_origins=[key_server]
    )
    return integration, secret


def signed(vendor, secret, key_server, **options):
    if vendor == PsaVendor.CONNECTWISE:
        return payloads.connectwise(f"{key_server}/callbackkey?id=1", board="Alerts", signing_key=payloads_key(), **options)
    if vendor == PsaVendor.AUTOTASK:
        return payloads.autotask(secret, **options)
    return payloads.halopsa(secret, **options)


def payloads_key():
    from tests.integrations.conftest import SIGNING_KEY

    return SIGNING_KEY


def url(integration) -> str:
    return f"/integrations/{integration.id}/webhook"


@pytest.mark.parametrize("vendor", list(PsaVendor))
async def test_a_signed_delivery_is_accepted_then_becomes_a_ticket_in_its_month(services, client, client_tenant, key_server, vendor):
    integration, secret = await setup(services, client_tenant, vendor, key_server)
    body, headers = signed(vendor, secret, key_server)

    response = await client.post(url(integration), content=body, headers=headers)

    assert response.status_code == 202
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    assert delivery.status == DeliveryStatus.RECEIVED and delivery.body == body
    assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED"]
    [ticket] = await tickets(services, client_tenant.tenant.id)
    assert ticket.category == TicketCategory.ALERT and ticket.source == vendor.value.lower()
    assert await months(services, client_tenant.tenant.id) == {(dt.date(2026, 9, 1), vendor.value.lower()): (0, 0, 1)}


async def test_autotask_accepts_a_signature_over_the_raw_body_too(services, client, client_tenant, key_server):
    integration, secret = await setup(services, client_tenant, PsaVendor.AUTOTASK, key_server)
    body, headers = payloads.autotask(secret, sign_escaped=False)
    assert "Café & printer".encode() in body

    assert (await client.post(url(integration), content=body, headers=headers)).status_code == 202
    await process_all(services, client_tenant.tenant.id)
    [ticket] = await tickets(services, client_tenant.tenant.id)
    assert ticket.title == "Café & printer <urgent>"


def one_byte_changed(body: bytes) -> bytes:
    return body.replace(b"2026-09-0", b"2026-08-0", 1)


def without_signature(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k.lower() not in ("x-content-signature", "x-hook-signature", "authorization")}


FORGERIES = [
    (vendor, tamper)
    for vendor in PsaVendor
    for tamper in ("one byte changed", "missing header", "wrong secret")
    # HaloPSA does not sign bodies (it authenticates with Basic credentials): nothing to tamper with.
    if (vendor, tamper) != (PsaVendor.HALOPSA, "one byte changed")
]


@pytest.mark.parametrize(("vendor", "tamper"), FORGERIES)
async def test_a_forged_delivery_is_refused_and_kept_as_rejected(services, client, client_tenant, key_server, vendor, tamper):
    integration, secret = await setup(services, client_tenant, vendor, key_server)
    if tamper == "wrong secret" and vendor == PsaVendor.CONNECTWISE:
        body, headers = payloads.connectwise(f"{key_server}/callbackkey?id=1", signing_key="not-the-key")
    elif tamper == "wrong secret":
        body, headers = signed(vendor, "not-the-secret-" + secret, key_server)
    else:
        body, headers = signed(vendor, secret, key_server)
        if tamper == "one byte changed":
            body = one_byte_changed(body)
        else:
            headers = without_signature(headers)

    response = await client.post(url(integration), content=body, headers=headers)

    assert response.status_code == 401
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    assert delivery.status == DeliveryStatus.REJECTED and delivery.body == body
    assert await process_all(services, client_tenant.tenant.id) == []
    assert await count(services, client_tenant.tenant.id, Ticket) == 0


@pytest.mark.parametrize(
    "key_url",
    ["https://attacker.example/callbackkey", "http://127.0.0.2:1/callbackkey", "https://api-na.myconnectwise.net.evil.test/k"],
)
async def test_connectwise_never_fetches_a_key_from_outside_the_allow_list(services, client, client_tenant, key_server, key_url):
    from tests.integrations.conftest import KeyHandler

    integration, _ = await setup(services, client_tenant, PsaVendor.CONNECTWISE, key_server)
    body, headers = payloads.connectwise(key_url, signing_key=payloads_key())
    hits = KeyHandler.hits

    assert (await client.post(url(integration), content=body, headers=headers)).status_code == 401
    assert KeyHandler.hits == hits
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    assert delivery.status == DeliveryStatus.REJECTED


async def test_the_same_delivery_100_times_concurrently_is_one_delivery_and_one_ticket(services, client, client_tenant, key_server):
    integration, secret = await setup(services, client_tenant, PsaVendor.AUTOTASK, key_server)
    body, headers = payloads.autotask(secret)

    responses = await asyncio.gather(*(client.post(url(integration), content=body, headers=headers) for _ in range(100)))

    assert {r.status_code for r in responses} == {202}
    assert len(await deliveries(services, client_tenant.tenant.id)) == 1
    await process_all(services, client_tenant.tenant.id)
    assert len(await tickets(services, client_tenant.tenant.id)) == 1


async def test_a_forged_copy_arriving_first_does_not_block_the_genuine_delivery(services, client, client_tenant, key_server):
    integration, secret = await setup(services, client_tenant, PsaVendor.AUTOTASK, key_server)
    body, headers = payloads.autotask(secret)
    forged = payloads.autotask("guessed-secret")[1]

    assert (await client.post(url(integration), content=body, headers=forged)).status_code == 401
    assert (await client.post(url(integration), content=body, headers=headers)).status_code == 202
    statuses = sorted(d.status.value for d in await deliveries(services, client_tenant.tenant.id))
    assert statuses == ["RECEIVED", "REJECTED"]


async def test_autotask_deactivation_notice_is_acknowledged_and_never_acted_on(services, client, client_tenant, key_server):
    integration, _ = await setup(services, client_tenant, PsaVendor.AUTOTASK, key_server)
    body, headers = payloads.autotask(None, action="Deactivated")

    assert (await client.post(url(integration), content=body, headers=headers)).status_code == 202
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    assert delivery.status == DeliveryStatus.IGNORED
    assert await process_all(services, client_tenant.tenant.id) == []
    assert await count(services, client_tenant.tenant.id, Ticket) == 0


async def test_unknown_and_disabled_integrations_answer_404_and_store_nothing(services, client, client_tenant, key_server):
    from app.db.scope import tenant_session
    from app.integrations.actions import disable_integration

    integration, secret = await setup(services, client_tenant, PsaVendor.HALOPSA, key_server)
    body, headers = payloads.halopsa(secret)
    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        await disable_integration(session, client_tenant.actor, integration.id)

    assert (await client.post(url(integration), content=body, headers=headers)).status_code == 404
    assert (await client.post(f"/integrations/{uuid.uuid4()}/webhook", content=body, headers=headers)).status_code == 404
    assert (await client.post("/integrations/not-a-uuid/webhook", content=body, headers=headers)).status_code == 404
    assert await deliveries(services, client_tenant.tenant.id) == []


async def test_a_body_over_one_mebibyte_is_refused_with_413(services, client, client_tenant, key_server):
    integration, secret = await setup(services, client_tenant, PsaVendor.HALOPSA, key_server)
    headers = payloads.halopsa(secret)[1]

    async def chunks():  # no Content-Length: the limit must hold while streaming
        for _ in range(17):
            yield b" " * 65536

    assert (await client.post(url(integration), content=chunks(), headers=headers)).status_code == 413
    assert (await client.post(url(integration), content=b" " * (1024 * 1024 + 1), headers=headers)).status_code == 413
    assert await deliveries(services, client_tenant.tenant.id) == []


async def test_over_the_integration_rate_the_answer_is_429_with_retry_after(services, client, client_tenant, key_server):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA, rate_limit_per_minute=3)
    body, headers = payloads.halopsa(secret)

    codes = [(await client.post(url(integration), content=body, headers=headers)) for _ in range(4)]

    assert [r.status_code for r in codes] == [202, 202, 202, 429]
    assert 1 <= int(codes[-1].headers["retry-after"]) <= 60


async def test_accepted_deliveries_update_last_received_at(services, client, client_tenant, key_server):
    from app.db.scope import tenant_session
    from app.integrations.actions import list_integrations

    integration, secret = await setup(services, client_tenant, PsaVendor.HALOPSA, key_server)
    assert integration.last_received_at is None
    await client.post(url(integration), content=payloads.halopsa(secret)[0], headers=payloads.halopsa(secret)[1])
    await client.post(url(integration), content=b"{}", headers=payloads.halopsa("wrong")[1])

    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        [summary] = await list_integrations(session, client_tenant.actor, client_tenant.tenant.id)
    assert summary.integration.last_received_at is not None
    assert (summary.received, summary.rejected, summary.failed) == (2, 1, 0)


async def test_a_burst_is_one_job_a_second_and_every_delivery_is_processed_by_the_worker(
    services, client, client_tenant, key_server
):
    integration, secret = await setup(services, client_tenant, PsaVendor.HALOPSA, key_server)
    tenant_id = client_tenant.tenant.id
    burst = [payloads.halopsa(secret, ticket_id=7000 + i) for i in range(40)]

    sent = dt.datetime.now(dt.UTC)
    responses = await asyncio.gather(*(client.post(url(integration), content=b, headers=h) for b, h in burst))
    answered = dt.datetime.now(dt.UTC)

    assert {r.status_code for r in responses} == {202}
    assert len(await deliveries(services, tenant_id)) == 40
    jobs = await services.redis.keys(f"arq:job:deliveries:{tenant_id}:*")
    # The windows the burst lasted: at most one job for each (a slower server's burst lasts more of them).
    lasted = range(int(sent.timestamp() // WINDOW_SECONDS), int(answered.timestamp() // WINDOW_SECONDS) + 1)
    assert 1 <= len(jobs) <= len(lasted), f"a window's deliveries share one job, however many batches stored them: {jobs}"
    assert {int(key.decode().rsplit(":", 1)[1]) for key in jobs} <= set(lasted), jobs
    for key in jobs:
        job = Job(key.decode().removeprefix("arq:job:"), services.redis)
        assert (await job.info()).args == (str(tenant_id),)
        assert await services.redis.zscore("arq:queue", job.job_id) > sent.timestamp() * 1000, "runs when its window closed"

    worker = create_worker(services.settings, burst=True, handle_signals=False, poll_delay=0.05, cron_jobs=[])
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert len(await tickets(services, tenant_id)) == 40
    assert {d.status for d in await deliveries(services, tenant_id)} == {DeliveryStatus.PROCESSED}
