"""From accepted deliveries to tickets: ordering, failures kept and replayed, re-categorising."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.health.models import StaleHealthMonth
from app.integrations import actions, processing
from app.integrations.cli import replay_failed
from app.integrations.models import DeliveryStatus, PsaVendor, WebhookDelivery
from app.tickets.models import TicketCategory
from tests.integrations import payloads
from tests.integrations.conftest import Client, deliveries, make_integration, months, process_all, tickets
from tests.statements import recording

SEPTEMBER = dt.date(2026, 9, 1)


async def post(client, integration, delivery):
    body, headers = delivery
    response = await client.post(f"/integrations/{integration.id}/webhook", content=body, headers=headers)
    assert response.status_code == 202


async def stale_months(services, tenant_id) -> set:
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        return set(await session.scalars(select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant_id)))


async def test_events_out_of_order_never_roll_a_ticket_back(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.AUTOTASK)
    await post(client, integration, payloads.autotask(secret, sequence=2, status="5", title="Resolved title"))
    await process_all(services, client_tenant.tenant.id)
    await post(client, integration, payloads.autotask(secret, sequence=1, status="1", title="Old title"))

    assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED"]
    [ticket] = await tickets(services, client_tenant.tenant.id)
    assert (ticket.status, ticket.title, ticket.source_sequence) == ("5", "Resolved title", 2)


async def test_a_newer_connectwise_update_wins_and_an_older_one_does_not(services, client, client_tenant, key_server):
    integration, _ = await make_integration(services, client_tenant, PsaVendor.CONNECTWISE, key_origins=[key_server])
    key_url, key = f"{key_server}/callbackkey?id=7", payloads_key()
    await post(client, integration, payloads.connectwise(key_url, updated="2026-09-03T10:00:00Z", signing_key=key))
    await post(client, integration, payloads.connectwise(
        key_url, updated="2026-09-05T10:00:00Z", closed="2026-09-05T09:59:00Z", signing_key=key))
    await post(client, integration, payloads.connectwise(key_url, updated="2026-09-04T10:00:00Z", signing_key=key))

    await process_all(services, client_tenant.tenant.id)

    [ticket] = await tickets(services, client_tenant.tenant.id)
    assert ticket.closed_at == dt.datetime(2026, 9, 5, 9, 59, tzinfo=dt.UTC) and ticket.status == "Closed"


def payloads_key():
    from tests.integrations.conftest import SIGNING_KEY

    return SIGNING_KEY


async def test_a_mapping_that_fails_is_fixed_and_replayed_into_the_right_month(services, client, client_tenant):
    integration, secret = await make_integration(
        services, client_tenant, PsaVendor.HALOPSA, default_category=None,
        rules=[{"when": {"tickettype": ["Change Request"]}, "category": "CHANGE"}],
    )
    await post(client, integration, payloads.halopsa(secret, tickettype="Incident"))

    assert await process_all(services, client_tenant.tenant.id) == ["FAILED"]
    [failed] = await deliveries(services, client_tenant.tenant.id)
    assert "No mapping rule matched" in failed.error and "tickettype='Incident'" in failed.error
    assert await tickets(services, client_tenant.tenant.id) == []

    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        await actions.update_integration(
            session, client_tenant.actor, integration.id,
            rules=[{"when": {"tickettype": ["incident"]}, "category": "SUPPORT"}],
        )
    report = await replay_failed(services, integration.id)

    assert (report.replayed, report.still_failed) == (1, 0)
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    assert delivery.status == DeliveryStatus.PROCESSED and delivery.error is None and delivery.attempts == 2
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "halopsa"): (1, 0, 0)}
    assert await stale_months(services, client_tenant.tenant.id) == {SEPTEMBER}


async def test_only_failed_deliveries_are_replayed(services, client, client_tenant):
    import pytest

    from app.errors import Invalid

    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    await post(client, integration, payloads.halopsa(secret))
    await process_all(services, client_tenant.tenant.id)
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        with pytest.raises(Invalid):
            await processing.replay_delivery(session, client_tenant.actor, client_tenant.tenant.id, delivery.id)


async def test_reapplying_changed_rules_recategorises_stored_tickets_and_their_month(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    await post(client, integration, payloads.halopsa(secret, ticket_id=1, tickettype="Alert"))
    await post(client, integration, payloads.halopsa(secret, ticket_id=2, tickettype="Request"))
    await process_all(services, client_tenant.tenant.id)
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "halopsa"): (2, 0, 0)}

    async with tenant_session(services.sessionmaker, client_tenant.actor.tenant_ids) as session:
        await actions.update_integration(
            session, client_tenant.actor, integration.id, rules=[{"when": {"tickettype": ["Alert"]}, "category": "ALERT"}]
        )
        result = await actions.reapply_mapping(session, client_tenant.actor, integration.id)

    assert (result.changed, result.unmatched, set(result.months)) == (1, 0, {SEPTEMBER})
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "halopsa"): (1, 0, 1)}
    categories = {t.external_id: t.category for t in await tickets(services, client_tenant.tenant.id)}
    assert categories == {"1": TicketCategory.ALERT, "2": TicketCategory.SUPPORT}


async def test_a_ticket_moved_to_another_month_leaves_the_old_month(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    await post(client, integration, payloads.halopsa(secret, occurred="2026-09-30T23:00:00Z"))
    await process_all(services, client_tenant.tenant.id)
    await post(client, integration, payloads.halopsa(
        secret, occurred="2026-10-01T01:00:00Z", lastaction="2026-10-02T00:00:00Z"))

    await process_all(services, client_tenant.tenant.id)

    assert await months(services, client_tenant.tenant.id) == {(dt.date(2026, 10, 1), "halopsa"): (1, 0, 0)}
    assert await stale_months(services, client_tenant.tenant.id) == {SEPTEMBER, dt.date(2026, 10, 1)}


async def test_a_delivery_that_is_not_json_fails_with_its_reason(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    await post(client, integration, (b"not json", payloads.halopsa(secret)[1]))

    assert await process_all(services, client_tenant.tenant.id) == ["FAILED"]
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    assert delivery.error == "The body is not a JSON object."


async def test_the_sweeper_re_enqueues_deliveries_redis_lost(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    await post(client, integration, payloads.halopsa(secret))
    [delivery] = await deliveries(services, client_tenant.tenant.id)
    for job in await services.redis.keys(f"arq:job:deliveries:{client_tenant.tenant.id}:*"):
        await services.redis.delete(job)  # as if the enqueue never happened
    async with tenant_session(services.sessionmaker, [client_tenant.tenant.id]) as session:
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.tenant_id == client_tenant.tenant.id)
            .values(received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        )

    assert await actions.sweep_received(services) >= 1
    assert await window_jobs(services, client_tenant.tenant.id), "the tenant's job is queued again"


async def test_a_batch_costs_the_same_statements_for_3_deliveries_as_for_30(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    counts = {}
    for size, first in ((3, 1), (30, 100)):
        for ticket_id in range(first, first + size):
            await post(client, integration, payloads.halopsa(secret, ticket_id=ticket_id))
        with recording(services.engine) as log:
            assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED"] * size
        # One upsert of the batch's tickets; their months' figures added by one call at commit.
        assert len([s for s in log.statements if "INSERT INTO tickets" in s]) == 1, log.report()
        assert len([s for s in log.statements if "add_ticket_months" in s]) == 1, log.report()
        counts[size] = len(log)

    assert counts[30] == counts[3], "statements per batch do not grow with its deliveries"
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "halopsa"): (33, 0, 0)}


async def test_events_for_one_ticket_in_one_batch_build_on_each_other(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.AUTOTASK)
    await post(client, integration, payloads.autotask(secret, sequence=1, title="Printer jam", status="1"))
    await post(client, integration, payloads.autotask(secret, sequence=3, fields={"Status": "5"}))
    await post(client, integration, payloads.autotask(secret, sequence=2, fields={"Status": "8", "Title": "Late"}))

    assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED"] * 3

    [ticket] = await tickets(services, client_tenant.tenant.id)
    assert (ticket.title, ticket.status, ticket.source_sequence) == ("Printer jam", "5", 3)
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "autotask"): (1, 0, 0)}


async def test_a_delivery_the_database_refuses_fails_alone_with_its_reason(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.AUTOTASK)
    await post(client, integration, payloads.autotask(secret, ticket_id=1, sequence=1))
    await post(client, integration, payloads.autotask(  # beyond bigint: refused by the database, every time
        secret, ticket_id=2, sequence=2**70, event_time="2026-09-02T09:02:00Z"))
    await post(client, integration, payloads.autotask(secret, ticket_id=3, sequence=3))

    assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED", "FAILED", "PROCESSED"]

    refused = next(d for d in await deliveries(services, client_tenant.tenant.id) if d.status == DeliveryStatus.FAILED)
    assert refused.error.startswith("The database refused this delivery's ticket") and refused.attempts == 1
    assert sorted(t.external_id for t in await tickets(services, client_tenant.tenant.id)) == ["1", "3"]
    assert await process_all(services, client_tenant.tenant.id) == [], "a refused delivery is not retried by itself"
    report = await replay_failed(services, integration.id)
    assert (report.replayed, report.processed, report.still_failed) == (1, 0, 1)
    [replayed] = [d for d in await deliveries(services, client_tenant.tenant.id) if d.id == refused.id]
    assert replayed.status == DeliveryStatus.FAILED and replayed.attempts == 2 and replayed.error == refused.error


async def one_delivery_each(services, client, client_tenant, world):
    """A delivery waiting for our client and one for another practice's client; returns the other tenant."""
    other_tenant = await world.tenant(await world.practice())
    other = Client(other_tenant, Principal.system([other_tenant.id], other_tenant.practice_id))
    mine, my_secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    theirs, their_secret = await make_integration(services, other, PsaVendor.HALOPSA)
    await post(client, mine, payloads.halopsa(my_secret))
    await post(client, theirs, payloads.halopsa(their_secret))
    return other_tenant


async def test_a_batch_never_processes_another_clients_delivery(services, client, client_tenant, world):
    other_tenant = await one_delivery_each(services, client, client_tenant, world)
    [my_delivery] = await deliveries(services, client_tenant.tenant.id)
    [their_delivery] = await deliveries(services, other_tenant.id)

    outcomes = await processing.process_deliveries(services, client_tenant.tenant.id, [my_delivery.id, their_delivery.id])

    assert outcomes == ["PROCESSED", "missing"]
    [still_waiting] = await deliveries(services, other_tenant.id)
    assert still_waiting.status == DeliveryStatus.RECEIVED and still_waiting.attempts == 0
    assert await tickets(services, other_tenant.id) == []
    assert [t.tenant_id for t in await tickets(services, client_tenant.tenant.id)] == [client_tenant.tenant.id]


async def test_a_delivery_that_cannot_be_mapped_fails_alone_in_its_batch(services, client, client_tenant):
    integration, secret = await make_integration(
        services, client_tenant, PsaVendor.HALOPSA, default_category=None,
        rules=[{"when": {"tickettype": ["Alert"]}, "category": "ALERT"}],
    )
    await post(client, integration, payloads.halopsa(secret, ticket_id=1))
    await post(client, integration, payloads.halopsa(secret, ticket_id=2, tickettype="Incident"))
    await post(client, integration, (b"[]", payloads.halopsa(secret)[1]))
    await post(client, integration, payloads.halopsa(secret, ticket_id=1, lastaction="2026-09-05T11:00:00Z",
                                                     cleared="2026-09-05T10:00:00Z"))

    assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED", "FAILED", "FAILED", "PROCESSED"]

    [ticket] = await tickets(services, client_tenant.tenant.id)
    assert ticket.external_id == "1" and ticket.closed_at == dt.datetime(2026, 9, 5, 10, tzinfo=dt.UTC)
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "halopsa"): (0, 0, 1)}


async def age(services, tenant_id, seconds: float, newest: bool = True) -> None:
    """Make the tenant's deliveries `seconds` old (all of them, or all but the newest)."""
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        kept = None if newest else await session.scalar(
            select(WebhookDelivery.id).where(WebhookDelivery.tenant_id == tenant_id).order_by(WebhookDelivery.id.desc()).limit(1))
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id != kept)
            .values(received_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))
        )


async def window_jobs(services, tenant_id) -> list:
    return await services.redis.keys(f"arq:job:deliveries:{tenant_id}:*")


async def test_the_tenant_job_waits_while_its_psa_is_mid_burst(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    for ticket_id in (1, 2):
        await post(client, integration, payloads.halopsa(secret, ticket_id=ticket_id))
    for job in await window_jobs(services, client_tenant.tenant.id):
        await services.redis.delete(job)

    assert await processing.process_waiting(services, client_tenant.tenant.id) == {"deferred": 1}

    assert {d.status for d in await deliveries(services, client_tenant.tenant.id)} == {DeliveryStatus.RECEIVED}
    assert await window_jobs(services, client_tenant.tenant.id), "the next window's job takes over"


async def test_the_tenant_job_processes_a_paused_burst_in_chunks(services, client, client_tenant, monkeypatch):
    monkeypatch.setattr(processing, "CHUNK", 3)
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    for ticket_id in range(1, 8):
        await post(client, integration, payloads.halopsa(secret, ticket_id=ticket_id))
    await age(services, client_tenant.tenant.id, 2)

    assert await processing.process_waiting(services, client_tenant.tenant.id) == {"PROCESSED": 7}
    assert await months(services, client_tenant.tenant.id) == {(SEPTEMBER, "halopsa"): (7, 0, 0)}
    assert await processing.process_waiting(services, client_tenant.tenant.id) == {}


async def test_a_psa_that_never_pauses_waits_at_most_max_delay(services, client, client_tenant):
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    for ticket_id in (1, 2):
        await post(client, integration, payloads.halopsa(secret, ticket_id=ticket_id))
    await age(services, client_tenant.tenant.id, processing.MAX_DELAY.total_seconds() + 1, newest=False)

    assert await processing.process_waiting(services, client_tenant.tenant.id) == {"PROCESSED": 2}


async def test_the_tenant_job_never_processes_another_clients_deliveries(services, client, client_tenant, world):
    other_tenant = await one_delivery_each(services, client, client_tenant, world)
    await age(services, client_tenant.tenant.id, 2)
    await age(services, other_tenant.id, 2)

    assert await processing.process_waiting(services, client_tenant.tenant.id) == {"PROCESSED": 1}

    [still_waiting] = await deliveries(services, other_tenant.id)
    assert still_waiting.status == DeliveryStatus.RECEIVED and await tickets(services, other_tenant.id) == []


async def test_a_delivery_that_makes_processing_raise_fails_alone_and_is_replayed_once_fixed(
    services, client, client_tenant, monkeypatch
):
    from app.integrations import halopsa

    parse = halopsa.parse

    def parse_with_a_bug(payload):  # a parser bug that only one delivery's payload triggers
        if payload.get("object_id") == 2:
            raise KeyError("summary")
        return parse(payload)

    monkeypatch.setattr(halopsa, "parse", parse_with_a_bug)
    integration, secret = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    for ticket_id in (1, 2, 3):
        await post(client, integration, payloads.halopsa(secret, ticket_id=ticket_id))

    assert await process_all(services, client_tenant.tenant.id) == ["PROCESSED", "FAILED", "PROCESSED"]
    [failed] = [d for d in await deliveries(services, client_tenant.tenant.id) if d.status == DeliveryStatus.FAILED]
    assert failed.error.startswith("Processing failed (KeyError")

    monkeypatch.setattr(halopsa, "parse", parse)  # the fix is deployed
    assert (await replay_failed(services, integration.id)).processed == 1
    assert sorted(t.external_id for t in await tickets(services, client_tenant.tenant.id)) == ["1", "2", "3"]
