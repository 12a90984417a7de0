"""Turning accepted webhook deliveries into tickets and assets: the worker's jobs, and replays.

The worker runs on the same cores as the API, so a tenant's deliveries are processed by one job
per tenant and second (`actions.enqueue_tenant`) that waits for the tenant's burst to pause, then
takes them 500 to a transaction with a fixed number of statements however many a transaction
holds: the deliveries are locked, each round of tickets is read once and upserted once, the months
touched are refreshed once and the outcomes are written in one executemany. A round holds at most
one event per ticket, in arrival order: a later event for the same ticket goes into the next round
and is overlaid on what the earlier one wrote, and the upsert's own rule (never an older vendor
sequence or update time) decides between them exactly as between deliveries processed apart.

Asset events (configurations, configuration items, assets) go the same way: a round's assets are
overlaid on the stored ones, mapped to an AssetKind, checked like every other asset
(app/lifecycle/actions.py) and upserted together; a deleted one is removed. Both mark the scored
months they change stale (the lifecycle's one rule).

Parse and mapping failures are kept on the delivery (FAILED with the reason, replayable). Both are
raised before anything is written, so a failed delivery needs no savepoint. Should a batch fail
(in the database, or a bug), it is rolled back and each delivery is processed alone, so one
delivery never holds back the others; one that no retry can cure (the database refuses it, or
processing raises) is kept FAILED with the reason rather than failing its job again every few
minutes, and can be replayed once the cause is fixed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record
from app.auth.principal import Principal
from app.db.errors import transient
from app.db.outage import database_unavailable
from app.db.queue import use_queue
from app.db.scope import savepoint, tenant_session
from app.errors import Invalid, NotFound
from app.guards import require_writer
from app.integrations.actions import PENDING, VENDORS, WAITING, enqueue_tenant, kind_of_asset, source_of
from app.integrations.events import AssetEvent, PayloadError, TicketEvent, json_object
from app.integrations.mapping import MappingError, categorize
from app.integrations.models import DeliveryStatus, Integration, WebhookDelivery
from app.lifecycle.actions import PUSHED, PushedAsset, checked_push, remove_assets, write_assets
from app.lifecycle.models import Asset
from app.services import Services
from app.tickets.actions import DELETED_STATUS, TicketRow, mark_past_months_stale, write_tickets
from app.tickets.models import Ticket

log = logging.getLogger(__name__)

COLUMNS = ("title", "status", "priority", "opened_at", "closed_at")
ASSET_COLUMNS = tuple(c for c in PUSHED if c != "kind")  # the kind is the mapping's
CHUNK = 500  # deliveries to a transaction
MAX_CHUNKS = 20  # transactions to a job
QUIET = dt.timedelta(seconds=1)  # a PSA that sent nothing for this long has paused its burst
MAX_DELAY = dt.timedelta(seconds=10)  # the longest a delivery waits for that pause


async def process_waiting(services: Services, tenant_id: uuid.UUID) -> dict[str, int]:
    """The tenant's job: its deliveries waiting, oldest first, CHUNK to a transaction; outcomes counted.

    While the tenant's PSA is in the middle of a burst (a delivery came within QUIET) the job
    hands over to the next window's job instead, so the burst is received on cores the worker
    leaves free and processed in large batches once it pauses; no delivery waits more than
    MAX_DELAY for that pause. A job also stops after MAX_CHUNKS (a PSA that never pauses would
    keep one job forever) and leaves the rest to the next window's job.
    """
    waiting = (WebhookDelivery.tenant_id == tenant_id, WAITING)
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        oldest, newest, now = (await session.execute(
            select(func.min(WebhookDelivery.received_at), func.max(WebhookDelivery.received_at), func.now()).where(*waiting)
        )).one()
    if oldest is None:
        return {}
    if now - newest < QUIET and now - oldest < MAX_DELAY:
        await enqueue_tenant(services, tenant_id)
        return {"deferred": 1}
    outcomes: Counter[str] = Counter()
    for _ in range(MAX_CHUNKS):
        async with tenant_session(services.sessionmaker, [tenant_id]) as session:
            ids = list(await session.scalars(select(WebhookDelivery.id).where(*waiting).order_by(WebhookDelivery.id).limit(CHUNK)))
        outcomes.update(await process_deliveries(services, tenant_id, ids) if ids else [])
        if len(ids) < CHUNK:
            return dict(outcomes)
    await enqueue_tenant(services, tenant_id)
    return dict(outcomes)


async def process_deliveries(services: Services, tenant_id: uuid.UUID, delivery_ids: list[uuid.UUID]) -> list[str]:
    """Every delivery's outcome, in order, in one transaction (a retry skips what was done)."""
    if len(delivery_ids) > 1:
        try:
            return await _process(services, tenant_id, delivery_ids)
        except Exception:
            log.warning("a batch of %d deliveries failed; processing them one at a time", len(delivery_ids),
                        exc_info=True)
    outcomes, failure = [], None
    for delivery_id in delivery_ids:
        try:
            outcomes.append(await process_delivery(services, tenant_id, delivery_id))
        except Exception as error:  # transient: the job is retried, and skips what was done
            failure = failure or error
    if failure is not None:
        raise failure
    return outcomes


async def process_delivery(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> str:
    """One delivery in its own transaction (a failed batch's fallback); what no retry can cure
    keeps it FAILED with the reason, so one delivery never holds back its tenant's others."""
    try:
        [outcome] = await _process(services, tenant_id, [delivery_id])
    except Exception as error:
        if _retry_cures(error):
            raise
        return await _refused(services, tenant_id, delivery_id, error)
    return outcome


async def replay_delivery(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Process a FAILED delivery again (after the mapping was fixed); the result is on the delivery."""
    delivery = await session.get(WebhookDelivery, (tenant_id, delivery_id), with_for_update=True) if actor.sees(tenant_id) else None
    if delivery is None:
        raise NotFound("Delivery not found.", ["id"])
    require_writer(actor)
    if delivery.status != DeliveryStatus.FAILED:
        raise Invalid(f"Only failed deliveries are replayed; this one is {delivery.status.value}.", ["id"])
    before = {"status": delivery.status.value, "error": delivery.error}
    try:
        async with savepoint(session):
            await apply(session, tenant_id, [delivery])
    except Exception as error:
        if _retry_cures(error):
            raise
        await session.refresh(delivery)  # the savepoint's rollback expired it
        _refuse(delivery, error)
    after = {"status": delivery.status.value, "error": delivery.error}
    await record(session, actor, tenant_id, "webhook_delivery.replay", "WebhookDelivery", delivery.id, before, after)
    return delivery


def _waiting(delivery: WebhookDelivery) -> bool:
    return delivery.status == DeliveryStatus.RECEIVED and not delivery.identity.startswith(PENDING)


async def _process(services: Services, tenant_id: uuid.UUID, delivery_ids: list[uuid.UUID]) -> list[str]:
    """The deliveries still waiting are processed once, in one transaction; anything else is left."""
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        use_queue(session, services.redis)
        found = {
            d.id: d
            for d in await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id.in_(delivery_ids))
                .order_by(WebhookDelivery.id)  # one lock order for every job that holds the same deliveries
                .with_for_update()
            )
        }
        await apply(session, tenant_id, [found[i] for i in delivery_ids if i in found and _waiting(found[i])])
        return [found[i].status.value if i in found else "missing" for i in delivery_ids]


@dataclass(frozen=True)
class _Event:
    delivery: WebhookDelivery
    integration: Integration
    event: TicketEvent | AssetEvent

    @property
    def subject(self) -> tuple[str, str, str]:
        """What the event is about: (source, ticket or asset, external id)."""
        return source_of(self.integration.vendor), type(self.event).__name__, self.event.external_id


async def apply(session: AsyncSession, tenant_id: uuid.UUID, deliveries: Sequence[WebhookDelivery]) -> None:
    """Write the deliveries' tickets and assets in arrival order, mark the past months the tickets changed, settle each delivery."""
    integrations = {
        i.id: i for i in await session.scalars(
            select(Integration).where(Integration.id.in_({d.integration_id for d in deliveries}))
        )
    } if deliveries else {}
    events: list[_Event] = []
    with session.no_autoflush:  # the outcomes are written together, at the end
        for delivery in deliveries:
            delivery.attempts += 1
            delivery.processed_at = dt.datetime.now(dt.UTC)
            try:
                event = _parse(delivery, integrations[delivery.integration_id])
            except PayloadError as error:
                _fail(delivery, str(error))
                continue
            if event is None:
                _settle(delivery, DeliveryStatus.IGNORED)
            else:
                events.append(_Event(delivery, integrations[delivery.integration_id], event))
        months: set[dt.date] = set()
        for source, round_ in _rounds(events):
            tickets = [item for item in round_ if isinstance(item.event, TicketEvent)]
            if tickets:
                months.update(await _write_round(session, tenant_id, source, tickets))
            await _write_assets(session, tenant_id, source, [item for item in round_ if isinstance(item.event, AssetEvent)])
    await mark_past_months_stale(session, tenant_id, months)
    await session.flush()


def _parse(delivery: WebhookDelivery, integration: Integration) -> TicketEvent | AssetEvent | None:
    payload = json_object(delivery.body)
    if payload is None:
        raise PayloadError("The body is not a JSON object.")
    return VENDORS[integration.vendor].parse(payload)


def _rounds(events: list[_Event]) -> list[tuple[str, list[_Event]]]:
    """The events by source and round: a ticket's (an asset's) n-th event of the batch goes into round n."""
    seen: dict[tuple[str, str, str], int] = {}
    rounds: dict[tuple[int, str], list[_Event]] = {}
    for item in events:
        n = seen[item.subject] = seen.get(item.subject, -1) + 1
        rounds.setdefault((n, item.subject[0]), []).append(item)
    return [(source, round_) for (_, source), round_ in sorted(rounds.items(), key=lambda kv: kv[0])]


async def _stored(session: AsyncSession, model, tenant_id: uuid.UUID, source: str, round_: list[_Event]) -> dict:
    """The round's stored tickets (assets) by external id, locked in one order for every job."""
    return {
        row.external_id: row
        for row in await session.scalars(
            select(model)
            .where(model.tenant_id == tenant_id, model.source == source,
                   model.external_id.in_([item.event.external_id for item in round_]))
            .order_by(model.external_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the previous round may have written it
        )
    }


async def _write_round(session: AsyncSession, tenant_id: uuid.UUID, source: str, round_: list[_Event]) -> set[dt.date]:
    """Overlay each event on its stored ticket and upsert them together: the months whose figures changed."""
    stored = await _stored(session, Ticket, tenant_id, source, round_)
    rows = []
    for item in round_:
        try:
            row = _overlay(item.integration, item.event, stored.get(item.event.external_id))
        except (PayloadError, MappingError) as error:
            _fail(item.delivery, str(error))
            continue
        _settle(item.delivery, DeliveryStatus.IGNORED if row is None else DeliveryStatus.PROCESSED)
        if row is not None:
            rows.append(row)
    return await write_tickets(session, tenant_id, source, sorted(rows, key=lambda r: r.external_id))


async def _write_assets(session: AsyncSession, tenant_id: uuid.UUID, source: str, round_: list[_Event]) -> None:
    """Overlay each asset event on its stored asset; upsert the round's assets, remove the deleted."""
    if not round_:
        return
    stored = await _stored(session, Asset, tenant_id, source, round_)
    rows, removed = [], []
    for item in round_:
        event, found = item.event, stored.get(item.event.external_id)
        if event.deleted:
            _settle(item.delivery, DeliveryStatus.PROCESSED if found else DeliveryStatus.IGNORED)
            removed += [event.external_id] if found else []
            continue
        try:
            rows.append(_overlay_asset(item.integration, event, found))
        except (PayloadError, MappingError, Invalid) as error:
            _fail(item.delivery, str(error))
            continue
        _settle(item.delivery, DeliveryStatus.PROCESSED)
    await write_assets(session, tenant_id, source, sorted(rows, key=lambda r: r.external_id))
    await remove_assets(session, tenant_id, source, sorted(removed))


def _overlay_asset(integration: Integration, event: AssetEvent, stored: Asset | None) -> PushedAsset:
    """The asset as the event leaves it, checked as every asset is (`Invalid` names the field)."""
    values = {c: getattr(stored, c) for c in ASSET_COLUMNS} if stored else dict.fromkeys(ASSET_COLUMNS)
    values.update(event.values)
    if event.active is False and values["retired_on"] is None:
        values["retired_on"] = event.seen_on or dt.datetime.now(dt.UTC).date()
    elif event.active:
        values["retired_on"] = None
    kind = stored.kind if stored is not None and not event.attributes else kind_of_asset(integration, event.attributes)
    if values["name"] is None:
        raise PayloadError(f"Asset {event.external_id} has no name (ConnectWise name, Autotask ReferenceTitle, "
                           "HaloPSA key_field or inventory_number); include it in the webhook's fields.")
    return checked_push(PushedAsset(external_id=event.external_id, kind=kind, **values), ["asset"])


def _overlay(integration: Integration, event: TicketEvent, stored: Ticket | None) -> TicketRow | None:
    """The ticket as the event leaves it; None when there is nothing to do (deleting one we never had)."""
    if event.deleted and stored is None:
        return None
    values = {c: getattr(stored, c) for c in COLUMNS} if stored else dict.fromkeys(COLUMNS)
    values.update(event.values)
    attributes = {**((stored.attributes or {}) if stored else {}), **event.attributes}
    if event.deleted:
        values["status"], category = DELETED_STATUS, stored.category
    else:
        category = categorize(integration.settings.get("rules", []), integration.settings.get("default"), attributes)
    if values["opened_at"] is None:
        raise PayloadError(f"Ticket {event.external_id} has no opening date (ConnectWise dateEntered, "
                           "Autotask CreateDate, HaloPSA dateoccurred); include it in the webhook's fields.")
    return TicketRow(
        external_id=event.external_id, category=category, attributes=attributes,
        updated_at=event.updated_at, sequence=event.sequence, **values,
    )


def _settle(delivery: WebhookDelivery, status: DeliveryStatus) -> None:
    delivery.status, delivery.error = status, None


def _fail(delivery: WebhookDelivery, reason: str) -> None:
    delivery.status, delivery.error = DeliveryStatus.FAILED, reason


async def _refused(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID, error: Exception) -> str:
    """Keep a delivery that cannot be processed FAILED with the reason, as one we cannot parse."""
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        delivery = await session.get(WebhookDelivery, (tenant_id, delivery_id), with_for_update=True)
        if delivery is None or not _waiting(delivery):
            return "missing" if delivery is None else delivery.status.value
        _refuse(delivery, error)
        return delivery.status.value


def _refuse(delivery: WebhookDelivery, error: Exception) -> None:
    """The database refused the ticket, or processing raised (a bug: logged with its traceback)."""
    if isinstance(error, DBAPIError):
        log.warning("the database refused delivery %s: %s", delivery.id, error.orig)
        reason = "The database refused this delivery's ticket: " + str(error.orig).splitlines()[0][:300]
    else:
        log.error("delivery %s could not be processed", delivery.id, exc_info=error)
        reason = f"Processing failed ({type(error).__name__}: {str(error)[:300]}); replay it once fixed."
    delivery.attempts += 1
    delivery.processed_at = dt.datetime.now(dt.UTC)
    _fail(delivery, reason)


def _retry_cures(error: Exception) -> bool:
    return transient(error) or database_unavailable(error)
