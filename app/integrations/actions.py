"""PSA integrations: setting them up, receiving their webhook deliveries, turning deliveries into tickets.

A delivery is authenticated in memory, then stored raw with its outcome in one statement and
one commit before it is answered: rejected (kept as evidence, identity `rejected:<id>`, so a
forged copy can never block the genuine delivery with the same identity), ignored (Autotask's
unsigned notices), or accepted under its vendor identity. (Until 2026-11 a provisional row,
identity `pending:<id>`, was stored first and settled in a second transaction; such rows are
still recognised.) A unique constraint on that identity makes retries harmless: a verified copy
of a delivery we already hold is skipped and answered 202 like the first. Accepted deliveries are processed by a worker job
enqueued after commit; a sweeper re-enqueues what Redis lost. Processing that fails to parse or
map keeps the delivery FAILED with its error until it is replayed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.db.base import uuid7
from app.db.errors import transient
from app.db.outage import database_unavailable
from app.db.scope import after_commit, tenant_session
from app.errors import Conflict, Invalid, NotFound
from app.health.recompute import use_queue
from app.integrations import autotask, connectwise, halopsa, keys
from app.integrations.events import PayloadError, TicketEvent, body_identity, json_object
from app.integrations.mapping import MappingError, categorize, category_or_none, validate_rules
from app.integrations.models import DeliveryStatus, Integration, PsaVendor, WebhookDelivery
from app.integrations.secrets import decrypt, encrypt, new_secret
from app.integrations.writer import Delivery, writer_for
from app.services import Services
from app.settings import Settings
from app.tenants.actions import check_version, require_writer, visible_tenant
from app.tickets.actions import DELETED_STATUS, TicketRow, opened_month, refresh_months, write_tickets
from app.tickets.models import Ticket

log = logging.getLogger(__name__)

VENDORS: dict[PsaVendor, ModuleType] = {
    PsaVendor.CONNECTWISE: connectwise,
    PsaVendor.AUTOTASK: autotask,
    PsaVendor.HALOPSA: halopsa,
}
# ConnectWise signs with a key it serves itself; for these two we issue the secret.
ISSUES_SECRET = frozenset({PsaVendor.AUTOTASK, PsaVendor.HALOPSA})
DEFAULT_RATE_LIMIT_PER_MINUTE = 600
PENDING, REJECTED, NOTICE = "pending:", "rejected:", "notice:"
ALWAYS_KEPT_HEADERS = ("content-type", "content-length", "user-agent")
JOB = "process_webhook_delivery"
BATCH_JOB = "process_webhook_deliveries"
SWEEP_AFTER_SECONDS = 60
SWEEP_BATCH = 1000
KEEP = object()  # "leave unchanged" for update arguments where None is a meaningful value


def source_of(vendor: PsaVendor) -> str:
    """The tickets' `source`: one per vendor, so a re-created integration continues the same tickets."""
    return vendor.value.lower()


def webhook_url(settings: Settings, integration: Integration) -> str:
    return f"{settings.public_url.rstrip('/')}/integrations/{integration.id}/webhook"


def rate_limit_per_minute(integration: Integration) -> int:
    return int(integration.settings.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE))


def key_origins(integration: Integration) -> list[str]:
    return list(integration.settings.get("key_origins") or keys.DEFAULT_KEY_ORIGINS)


# --- setting integrations up -------------------------------------------------------------------


def _settings(vendor: PsaVendor, rules, default_category, origins, rate_limit) -> dict:
    default = category_or_none(default_category, ["defaultCategory"])
    return {
        "rules": validate_rules(rules, VENDORS[vendor].FIELDS),
        "default": default.value if default else None,
        "key_origins": keys.validate_origins(origins) if origins is not None else list(keys.DEFAULT_KEY_ORIGINS),
        "rate_limit_per_minute": v.int_range(rate_limit, "rateLimitPerMinute", 1, 100_000),
    }


async def create_integration(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    vendor: PsaVendor | str,
    *,
    secret_key: str,
    name: str | None = None,
    rules: list | None = None,
    default_category: str | None = "SUPPORT",
    key_origins: list[str] | None = None,
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
) -> tuple[Integration, str | None]:
    """A new integration and, for Autotask and HaloPSA, its secret (returned once, stored encrypted)."""
    tenant = await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    try:
        vendor = PsaVendor(str(vendor).upper())
    except ValueError:
        raise Invalid("vendor must be CONNECTWISE, AUTOTASK or HALOPSA.", ["vendor"]) from None
    clash = await session.scalar(
        select(Integration.id).where(Integration.tenant_id == tenant_id, Integration.vendor == vendor, Integration.enabled)
    )
    if clash:
        raise Conflict(f"This client already has an enabled {vendor.value} integration; disable it first.", ["vendor"])
    secret = new_secret() if vendor in ISSUES_SECRET else None
    integration = Integration(
        practice_id=tenant.practice_id,
        tenant_id=tenant_id,
        vendor=vendor,
        name=v.text(name, "name", required=False) or vendor.value.title(),
        secret_encrypted=encrypt(secret_key, secret) if secret else None,
        settings=_settings(vendor, rules, default_category, key_origins, rate_limit_per_minute),
    )
    session.add(integration)
    await session.flush()
    await record(session, actor, tenant_id, "integration.create", "Integration", integration.id, None, _audit(integration))
    return integration, secret


def _audit(integration: Integration) -> dict:
    return snapshot(integration, exclude=("secret_encrypted",))


async def _visible_integration(session: AsyncSession, actor: Principal, integration_id: uuid.UUID) -> Integration:
    integration = await session.get(Integration, integration_id)
    if integration is None or not actor.sees(integration.tenant_id):
        raise NotFound("Integration not found.", ["id"])
    return integration


async def update_integration(
    session: AsyncSession,
    actor: Principal,
    integration_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    name: str | None = None,
    rules: list | None = None,
    default_category: str | None | object = KEEP,
    key_origins: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
) -> Integration:
    """Change name, mapping rules, default category (None: unmatched tickets fail), key origins, rate."""
    integration = await _visible_integration(session, actor, integration_id)
    require_writer(actor)
    check_version(integration, expected_version)
    before = _audit(integration)
    current = integration.settings
    integration.settings = _settings(
        integration.vendor,
        current["rules"] if rules is None else rules,
        current.get("default") if default_category is KEEP else default_category,
        current.get("key_origins") if key_origins is None else key_origins,
        rate_limit_per_minute or current.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE),
    )
    if name is not None:
        integration.name = v.text(name, "name")
    await session.flush()
    forget_lookup_after_commit(session, integration)
    await record(session, actor, integration.tenant_id, "integration.update", "Integration", integration.id, before, _audit(integration))
    return integration


async def disable_integration(session: AsyncSession, actor: Principal, integration_id: uuid.UUID) -> Integration:
    """Its webhook answers 404 from now on; stored tickets and deliveries stay."""
    integration = await _visible_integration(session, actor, integration_id)
    require_writer(actor)
    before = _audit(integration)
    integration.enabled = False
    await session.flush()
    forget_lookup_after_commit(session, integration)
    await record(session, actor, integration.tenant_id, "integration.disable", "Integration", integration.id, before, _audit(integration))
    return integration


@dataclass(frozen=True)
class IntegrationSummary:
    integration: Integration
    received: int  # every delivery stored, whatever became of it
    rejected: int
    failed: int


async def list_integrations(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID) -> list[IntegrationSummary]:
    await visible_tenant(session, actor, tenant_id)
    integrations = list(
        await session.scalars(select(Integration).where(Integration.tenant_id == tenant_id).order_by(Integration.id))
    )
    counts = {
        row.integration_id: row
        for row in await session.execute(
            select(
                WebhookDelivery.integration_id,
                func.count().label("received"),
                func.count().filter(WebhookDelivery.status == DeliveryStatus.REJECTED).label("rejected"),
                func.count().filter(WebhookDelivery.status == DeliveryStatus.FAILED).label("failed"),
            )
            .where(WebhookDelivery.tenant_id == tenant_id)
            .group_by(WebhookDelivery.integration_id)
        )
    }
    return [
        IntegrationSummary(i, *(getattr(counts.get(i.id), k, 0) for k in ("received", "rejected", "failed")))
        for i in integrations
    ]


async def list_deliveries(
    session: AsyncSession,
    actor: Principal,
    integration_id: uuid.UUID,
    status: DeliveryStatus | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """The newest deliveries of an integration, optionally of one status (e.g. FAILED, to replay)."""
    integration = await _visible_integration(session, actor, integration_id)
    query = select(WebhookDelivery).where(
        WebhookDelivery.tenant_id == integration.tenant_id, WebhookDelivery.integration_id == integration.id
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return list(await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(min(limit, 200))))


# --- receiving deliveries ------------------------------------------------------------------------


# Webhook URLs are looked up on every delivery; a lookup is a third of a delivery's database work.
# Each process keeps what it read for one second: an integration disabled or changed elsewhere
# is refused everywhere within a second (at once in the process that changed it).
LOOKUP_SECONDS = 1.0
_looked_up: dict[uuid.UUID, tuple[float, Integration | None]] = {}


async def enabled_integration(sessionmaker: async_sessionmaker, integration_id: uuid.UUID) -> Integration | None:
    """The integration a webhook URL names (a global table: no tenant scope needed), if enabled."""
    now = time.monotonic()
    cached = _looked_up.get(integration_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    async with sessionmaker() as session:
        integration = await session.get(Integration, integration_id)
    found = integration if integration is not None and integration.enabled else None
    if len(_looked_up) > 10_000:
        _looked_up.clear()
    _looked_up[integration_id] = (now + LOOKUP_SECONDS, found)
    return found


def forget_lookup_after_commit(session: AsyncSession, integration: Integration) -> None:
    """This process sees a change to the integration as soon as it is committed."""

    async def forget() -> None:
        _looked_up.pop(integration.id, None)

    after_commit(session, forget)


def kept_headers(vendor: PsaVendor, headers: Mapping[str, str]) -> dict[str, str]:
    """The headers worth keeping with a delivery; credentials are reduced to their scheme."""
    kept = {h: headers[h] for h in (*ALWAYS_KEPT_HEADERS, *VENDORS[vendor].HEADERS_KEPT) if h in headers}
    if "authorization" in headers:
        kept["authorization"] = headers["authorization"].split(" ", 1)[0] + " (redacted)"
    return kept


@dataclass(frozen=True)
class Receipt:
    status_code: int  # 202 accepted or ignored, 401 rejected
    delivery_id: uuid.UUID | None
    duplicate: bool = False


async def receive_delivery(
    services: Services, integration: Integration, headers: Mapping[str, str], body: bytes
) -> Receipt:
    """Authenticate, then store the delivery with its outcome in one statement and one commit.

    Authentication is in memory (a signature or a secret; ConnectWise's key comes from a cache or
    one allow-listed fetch that answers False when it fails), so a delivery is never answered 202
    before its row is committed. Should authentication raise anyway, the raw delivery is stored as
    rejected before the error propagates: nothing that reached us is lost.
    """
    delivery_id = uuid7()
    module, payload = VENDORS[integration.vendor], json_object(body)
    status, identity = DeliveryStatus.RECEIVED, None
    if integration.vendor == PsaVendor.AUTOTASK and autotask.is_notice(payload):
        status, identity = DeliveryStatus.IGNORED, f"{NOTICE}{delivery_id}"
    else:
        secret = decrypt(services.settings.secret_key, integration.secret_encrypted) if integration.secret_encrypted else None
        try:
            genuine = await module.authenticate(body, headers, payload, secret, key_origins(integration))
        except Exception:
            await _store(services, integration, delivery_id, headers, body, DeliveryStatus.REJECTED, f"{REJECTED}{delivery_id}")
            raise
        if genuine:
            identity = module.identity(payload) or body_identity(body)
        else:
            status, identity = DeliveryStatus.REJECTED, f"{REJECTED}{delivery_id}"
    stored = await _store(services, integration, delivery_id, headers, body, status, identity)
    if status == DeliveryStatus.REJECTED:
        return Receipt(401, delivery_id)
    return Receipt(202, delivery_id) if stored else Receipt(202, None, duplicate=True)


async def _store(
    services: Services, integration: Integration, delivery_id: uuid.UUID, headers: Mapping[str, str], body: bytes,
    status: DeliveryStatus, identity: str,
) -> bool:
    """Whether the delivery was stored (False: a copy of one we hold); accepted ones are queued first."""
    delivery = Delivery(integration.tenant_id, delivery_id, integration.id, identity, status,
                        kept_headers(integration.vendor, headers), body)
    return await writer_for(services, enqueue_batch).store(delivery)


async def enqueue(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
    await services.redis.enqueue_job(JOB, str(tenant_id), str(delivery_id), _job_id=f"delivery:{delivery_id}")


async def enqueue_batch(services: Services, tenant_id: uuid.UUID, delivery_ids: list[uuid.UUID]) -> None:
    """One job for deliveries of one tenant stored together (a burst is one job, not one each)."""
    await services.redis.enqueue_job(BATCH_JOB, str(tenant_id), [str(i) for i in delivery_ids],
                                     _job_id=f"deliveries:{delivery_ids[0]}")


async def sweep_received(services: Services) -> int:
    """Re-enqueue accepted deliveries still waiting (Redis was down when they came); for the worker cron."""
    async with tenant_session(services.sessionmaker, ()) as session:
        tenant_ids = set(await session.scalars(select(Integration.tenant_id).distinct()))
    async with tenant_session(services.sessionmaker, tenant_ids) as session:
        waiting = (
            await session.execute(
                select(WebhookDelivery.tenant_id, WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.RECEIVED,
                    WebhookDelivery.identity.not_like(f"{PENDING}%"),
                    WebhookDelivery.received_at < func.now() - dt.timedelta(seconds=SWEEP_AFTER_SECONDS),
                )
                .order_by(WebhookDelivery.received_at)
                .limit(SWEEP_BATCH)
            )
        ).all()
    try:
        for tenant_id, delivery_id in waiting:
            await enqueue(services, tenant_id, delivery_id)
    except (RedisError, OSError) as error:
        log.warning("sweeper could not enqueue deliveries: %s", error)
        return 0
    return len(waiting)


# --- processing deliveries -----------------------------------------------------------------------


async def process_deliveries(services: Services, tenant_id: uuid.UUID, delivery_ids: list[uuid.UUID]) -> list[str]:
    """The batch job: every delivery's outcome, in order (a retry skips what was done).

    The worker processes a burst on the same cores the API receives it on, so a batch is one
    transaction: its tickets are written in arrival order and the months they touched are refreshed
    once, which makes a burst one commit, one month refresh and one change-counter bump rather than
    one of each per delivery. Should the batch fail in the database, it is rolled back and each
    delivery is processed alone, so one delivery never holds back the others.
    """
    if len(delivery_ids) > 1:
        try:
            return await _process(services, tenant_id, delivery_ids)
        except DBAPIError:
            log.warning("a batch of %d deliveries failed; processing them one at a time", len(delivery_ids),
                        exc_info=True)
    outcomes, failure = [], None
    for delivery_id in delivery_ids:
        try:
            outcomes.append(await process_delivery(services, tenant_id, delivery_id))
        except DBAPIError as error:  # transient: the job is retried, and skips what was done
            failure = failure or error
    if failure is not None:
        raise failure
    return outcomes


async def process_delivery(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> str:
    """One delivery (the sweeper's job); what no retry can cure keeps it FAILED with the reason."""
    try:
        [outcome] = await _process(services, tenant_id, [delivery_id])
    except DBAPIError as error:
        if _retry_cures(error):
            raise
        return await _refused(services, tenant_id, delivery_id, error)
    return outcome


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
        months: dict[str, set[dt.date]] = {}
        with session.no_autoflush:  # the deliveries' outcomes are written together at the end
            for delivery in (found[i] for i in delivery_ids if i in found):
                if _waiting(delivery):
                    integration = await session.get(Integration, delivery.integration_id)
                    touched = await apply_delivery(session, integration, delivery)
                    months.setdefault(source_of(integration.vendor), set()).update(touched)
        for source, touched in months.items():
            await refresh_months(session, tenant_id, source, touched)
        await session.flush()
        return [found[i].status.value if i in found else "missing" for i in delivery_ids]


async def _refused(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID, error: DBAPIError) -> str:
    """Keep a delivery the database refuses FAILED with the reason, as one we cannot parse."""
    async with tenant_session(services.sessionmaker, [tenant_id]) as session:
        delivery = await session.get(WebhookDelivery, (tenant_id, delivery_id), with_for_update=True)
        if delivery is None or not _waiting(delivery):
            return "missing" if delivery is None else delivery.status.value
        _refuse(delivery, error)
        return delivery.status.value


def _refuse(delivery: WebhookDelivery, error: DBAPIError) -> None:
    log.warning("the database refused delivery %s: %s", delivery.id, error.orig)
    delivery.attempts += 1
    delivery.processed_at = dt.datetime.now(dt.UTC)
    delivery.status = DeliveryStatus.FAILED
    delivery.error = "The database refused this delivery's ticket: " + str(error.orig).splitlines()[0][:300]


def _retry_cures(error: DBAPIError) -> bool:
    return transient(error) or database_unavailable(error)


async def apply_delivery(session: AsyncSession, integration: Integration, delivery: WebhookDelivery) -> set[dt.date]:
    """Write the delivery's ticket; returns the months to refresh (the caller refreshes them).

    Parse and mapping failures are kept on the delivery. Both are raised before anything is
    written, so a failed delivery leaves nothing behind without a savepoint (a batch of 200
    savepoints would overflow each backend's cache of 64 subtransactions and slow every snapshot).
    """
    delivery.attempts += 1
    delivery.processed_at = dt.datetime.now(dt.UTC)
    payload = json_object(delivery.body)
    months: set[dt.date] | None = None
    try:
        if payload is None:
            raise PayloadError("The body is not a JSON object.")
        event = VENDORS[integration.vendor].parse(payload)
        months = None if event is None else await apply_event(session, integration, event)
    except (PayloadError, MappingError) as error:
        delivery.status, delivery.error = DeliveryStatus.FAILED, str(error)
        return set()
    delivery.status = DeliveryStatus.IGNORED if months is None else DeliveryStatus.PROCESSED
    delivery.error = None
    return months or set()


COLUMNS = ("title", "status", "priority", "opened_at", "closed_at")


async def apply_event(session: AsyncSession, integration: Integration, event: TicketEvent) -> set[dt.date] | None:
    """Overlay the event on the stored ticket and write it: the months to refresh; None when there is nothing to do."""
    source = source_of(integration.vendor)
    stored = await session.scalar(
        select(Ticket)
        .where(Ticket.tenant_id == integration.tenant_id, Ticket.source == source, Ticket.external_id == event.external_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # an earlier delivery of the batch may have written it
    )
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
    row = TicketRow(
        external_id=event.external_id, category=category, attributes=attributes,
        updated_at=event.updated_at, sequence=event.sequence, **values,
    )
    return await write_tickets(session, integration.tenant_id, source, [row])


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
    integration = await session.get(Integration, delivery.integration_id)
    try:
        async with session.begin_nested():
            months = await apply_delivery(session, integration, delivery)
            await refresh_months(session, tenant_id, source_of(integration.vendor), months)
    except DBAPIError as error:
        if _retry_cures(error):
            raise
        await session.refresh(delivery)  # the savepoint's rollback expired it
        _refuse(delivery, error)
    after = {"status": delivery.status.value, "error": delivery.error}
    await record(session, actor, tenant_id, "webhook_delivery.replay", "WebhookDelivery", delivery.id, before, after)
    return delivery


@dataclass(frozen=True)
class Recategorised:
    changed: int  # tickets whose category changed
    unmatched: int  # tickets no rule matches and no default covers: left as they were
    months: frozenset[dt.date]  # months whose figures changed


async def reapply_mapping(session: AsyncSession, actor: Principal, integration_id: uuid.UUID) -> Recategorised:
    """Re-categorise the integration's stored tickets with its current rules; refresh the months."""
    integration = await _visible_integration(session, actor, integration_id)
    require_writer(actor)
    source, tenant_id = source_of(integration.vendor), integration.tenant_id
    tickets = (
        await session.execute(
            select(Ticket.id, Ticket.category, Ticket.attributes, Ticket.opened_at).where(
                Ticket.tenant_id == tenant_id, Ticket.source == source
            )
        )
    ).all()
    rules, default = integration.settings.get("rules", []), integration.settings.get("default")
    changes, unmatched = [], 0
    for ticket in tickets:
        try:
            category = categorize(rules, default, ticket.attributes or {})
        except MappingError:
            unmatched += 1
            continue
        if category != ticket.category:
            changes.append((ticket.id, category.value, ticket.opened_at))
    if changes:
        await session.execute(
            text("""
                UPDATE tickets t SET category = u.category::ticket_category, updated_at = now()
                FROM unnest(CAST(:ids AS uuid[]), CAST(:categories AS text[])) AS u(id, category)
                WHERE t.tenant_id = :tenant_id AND t.id = u.id
            """),
            {"tenant_id": tenant_id, "ids": [c[0] for c in changes], "categories": [c[1] for c in changes]},
        )
    months = await refresh_months(
        session, tenant_id, source, {opened_month(opened) for *_, opened in changes}
    )
    result = Recategorised(len(changes), unmatched, frozenset(months))
    await record(
        session, actor, tenant_id, "integration.reapply_mapping", "Integration", integration.id, None,
        {"changed": result.changed, "unmatched": result.unmatched, "months": sorted(m.isoformat() for m in months)},
    )
    return result
