"""PSA integrations: setting them up, receiving their webhook deliveries, re-categorising tickets.

A delivery is authenticated in memory, then stored raw with its outcome in one statement and
one commit before it is answered: rejected (kept as evidence, identity `rejected:<id>`, so a
forged copy can never block the genuine delivery with the same identity), ignored (Autotask's
unsigned notices), or accepted under its vendor identity. (Until 2026-11 a provisional row,
identity `pending:<id>`, was stored first and settled in a second transaction; such rows are
still recognised.) A unique constraint on that identity makes retries harmless: a verified copy
of a delivery we already hold is skipped and answered 202 like the first. Accepted deliveries are
processed by a worker job enqueued after commit (`app/integrations/processing.py`); a sweeper
re-enqueues what Redis lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.db import figures
from app.db.base import uuid7
from app.db.scope import after_commit, tenant_session
from app.errors import Conflict, Invalid, NotFound
from app.guards import check_version, require_writer, visible_tenant
from app.integrations import autotask, connectwise, halopsa, keys
from app.integrations.events import body_identity, json_object
from app.integrations.mapping import (
    DEFAULT_ASSET_KIND,
    MappingError,
    asset_kind,
    categorize,
    category_or_none,
    default_asset_rules,
    kind_or_none,
    validate_asset_rules,
    validate_rules,
)
from app.integrations.models import DeliveryStatus, Integration, PsaVendor, WebhookDelivery
from app.integrations.secrets import decrypt, encrypt, new_secret
from app.integrations.writer import Delivery, writer_for
from app.services import Services
from app.settings import Settings
from app.tickets.actions import counted, mark_past_months_stale, opened_month
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
# Accepted and not yet processed (a provisional row of the old two-step store is not accepted yet).
WAITING = and_(WebhookDelivery.status == DeliveryStatus.RECEIVED, WebhookDelivery.identity.not_like(f"{PENDING}%"))
ALWAYS_KEPT_HEADERS = ("content-type", "content-length", "user-agent")
TENANT_JOB = "process_waiting_deliveries"
WINDOW_SECONDS = 1
SWEEP_AFTER_SECONDS = 60


def source_of(vendor: PsaVendor) -> str:
    """The tickets' `source`: one per vendor, so a re-created integration continues the same tickets."""
    return vendor.value.lower()


def kind_of_asset(integration: Integration, attributes: Mapping[str, Any]) -> Any:
    """The AssetKind of a PSA asset: the integration's asset rules, the vendor's defaults, its default
    kind (settings stored before assets came have none of them: OTHER); `MappingError` otherwise."""
    settings, module = integration.settings, VENDORS[integration.vendor]
    rules = [*settings.get("asset_rules", []), *default_asset_rules(module.ASSET_TYPE_FIELD)]
    return asset_kind(rules, settings.get("asset_default", DEFAULT_ASSET_KIND), attributes)


def webhook_url(settings: Settings, integration: Integration) -> str:
    return f"{settings.public_url.rstrip('/')}/integrations/{integration.id}/webhook"


def rate_limit_per_minute(integration: Integration) -> int:
    return int(integration.settings.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE))


def key_origins(integration: Integration) -> list[str]:
    return list(integration.settings.get("key_origins") or keys.DEFAULT_KEY_ORIGINS)


# --- setting integrations up -------------------------------------------------------------------


def _settings(
    vendor: PsaVendor, *, rules, default_category, key_origins, rate_limit_per_minute, asset_rules=None,
    default_asset_kind=DEFAULT_ASSET_KIND,
) -> dict:
    """The settings as stored. No rules (None) is none; no key origins, the defaults."""
    default = category_or_none(default_category, ["defaultCategory"])
    asset_default = kind_or_none(default_asset_kind, ["defaultAssetKind"])
    return {
        "rules": validate_rules(rules, VENDORS[vendor].FIELDS),
        "default": default.value if default else None,
        "asset_rules": validate_asset_rules(asset_rules, VENDORS[vendor].ASSET_FIELDS),
        "asset_default": asset_default.value if asset_default else None,
        "key_origins": keys.validate_origins(key_origins) if key_origins is not None else list(keys.DEFAULT_KEY_ORIGINS),
        "rate_limit_per_minute": v.int_range(
            v.not_null(rate_limit_per_minute, "rateLimitPerMinute"), "rateLimitPerMinute", 1, 100_000
        ),
    }


SETTINGS = ("rules", "default_category", "key_origins", "rate_limit_per_minute", "asset_rules", "default_asset_kind")


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
        settings=_settings(
            vendor, rules=rules, default_category=default_category, key_origins=key_origins,
            rate_limit_per_minute=rate_limit_per_minute,
        ),
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
    **changes: Any,
) -> Integration:
    """Set the fields given: `name` and the `SETTINGS`; a field left out keeps its value.

    None clears a setting: no mapping rules, no default category (unmatched tickets fail), no
    default asset kind (unmatched assets fail), the default key origins; `name` and
    `rate_limit_per_minute` are required (INVALID).
    """
    unknown = set(changes) - {"name", *SETTINGS}
    if unknown:
        raise TypeError(f"Integration has no settable field {', '.join(sorted(unknown))}.")
    integration = await _visible_integration(session, actor, integration_id)
    require_writer(actor)
    check_version(integration, expected_version)
    before = _audit(integration)
    current = integration.settings
    kept = {
        "rules": current["rules"],
        "default_category": current.get("default"),
        "key_origins": current.get("key_origins"),
        "rate_limit_per_minute": rate_limit_per_minute(integration),
        "asset_rules": current.get("asset_rules"),
        "default_asset_kind": current.get("asset_default", DEFAULT_ASSET_KIND),
    }
    integration.settings = _settings(integration.vendor, **kept | {k: changes[k] for k in SETTINGS if k in changes})
    if "name" in changes:
        integration.name = v.text(changes["name"], "name")
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
    return await writer_for(services, enqueue_tenant_once).store(delivery)


async def enqueue_tenant(services: Services, tenant_id: uuid.UUID) -> None:
    """One job per tenant and window for everything the tenant's PSAs sent in that window.

    The job runs when its window has closed, so every delivery whose enqueue fell in the window
    (each committed before it was enqueued) is there when the job looks: a burst is a job a
    second, processed in large batches, rather than a job per stored batch competing with the API
    for the same cores while the burst goes on. A job id already taken means the window's job is
    queued; a lost job is the sweeper's to repair.
    """
    window = int(time.time() // WINDOW_SECONDS)
    await services.redis.enqueue_job(
        TENANT_JOB, str(tenant_id), _job_id=f"deliveries:{tenant_id}:{window}",
        _defer_until=dt.datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, dt.UTC),
    )
    queued = _queued_windows(services)
    if len(queued) > 10_000:
        queued.clear()
    queued[tenant_id] = window


async def enqueue_tenant_once(services: Services, tenant_id: uuid.UUID) -> None:
    """`enqueue_tenant`, unless these Services queued the tenant's job of this window already.

    For the webhook's writer: a burst's later batches would only find the job id taken, after the
    same Redis round trips each time, while every delivery of the next batch waited for them.
    The sweeper and the jobs themselves always ask Redis.
    """
    if _queued_windows(services).get(tenant_id) != int(time.time() // WINDOW_SECONDS):
        await enqueue_tenant(services, tenant_id)


def _queued_windows(services: Services) -> dict[uuid.UUID, int]:
    """Tenant -> the last window queued through these Services (and so through their Redis)."""
    queued = getattr(services, "_queued_windows", None)
    if queued is None:
        queued = services._queued_windows = {}
    return queued


async def sweep_received(services: Services) -> int:
    """Queue the job of every tenant whose accepted deliveries still wait after SWEEP_AFTER_SECONDS
    (Redis was down when they came, or a job was lost); for the worker cron. Returns how many.

    A tenant's job takes all its waiting deliveries, 500 to a transaction, so a backlog left by a
    long Redis outage drains in minutes, not one delivery job at a time.
    """
    async with tenant_session(services.sessionmaker, ()) as session:
        tenant_ids = set(await session.scalars(select(Integration.tenant_id).distinct()))
    async with tenant_session(services.sessionmaker, tenant_ids) as session:
        waiting = list(await session.scalars(
            select(WebhookDelivery.tenant_id)
            .where(WAITING, WebhookDelivery.received_at < func.now() - dt.timedelta(seconds=SWEEP_AFTER_SECONDS))
            .distinct()
        ))
    try:
        for tenant_id in waiting:
            await enqueue_tenant(services, tenant_id)
    except (RedisError, OSError) as error:
        log.warning("sweeper could not enqueue deliveries: %s", error)
        return 0
    return len(waiting)


@dataclass(frozen=True)
class Recategorised:
    changed: int  # tickets whose category changed
    unmatched: int  # tickets no rule matches and no default covers: left as they were
    months: frozenset[dt.date]  # months whose figures changed


async def reapply_mapping(session: AsyncSession, actor: Principal, integration_id: uuid.UUID) -> Recategorised:
    """Re-categorise the integration's stored tickets with its current rules; their months' figures
    move at commit. The tickets are read locked: the category a figure is moved from is the stored one."""
    integration = await _visible_integration(session, actor, integration_id)
    require_writer(actor)
    source, tenant_id = source_of(integration.vendor), integration.tenant_id
    tickets = (
        await session.execute(
            select(Ticket.id, Ticket.category, Ticket.attributes, Ticket.opened_at, Ticket.status).where(
                Ticket.tenant_id == tenant_id, Ticket.source == source
            ).order_by(Ticket.id).with_for_update()
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
            changes.append((ticket.id, category.value, ticket.opened_at, ticket.status))
            place = counted(opened_month(ticket.opened_at), category.value, ticket.status)
            if place is not None:  # from its old category to its new one, in its month
                figures.ticket_moved(session, tenant_id, source, place[0], ticket.category.value, -1)
                figures.ticket_moved(session, tenant_id, source, place[0], category.value, 1)
    if changes:
        await session.execute(
            text("""
                UPDATE tickets t SET category = u.category, updated_at = now()
                FROM unnest(CAST(:ids AS uuid[]), CAST(:categories AS ticket_category[])) AS u(id, category)
                WHERE t.tenant_id = :tenant_id AND t.id = u.id
            """),
            {"tenant_id": tenant_id, "ids": [c[0] for c in changes], "categories": [c[1] for c in changes]},
        )
    # A category change moves a counted ticket's figures within its month.
    months = {where[0] for where in (counted(opened_month(opened), category, status)
                                     for _, category, opened, status in changes) if where is not None}
    await mark_past_months_stale(session, tenant_id, months)
    result = Recategorised(len(changes), unmatched, frozenset(months))
    await record(
        session, actor, tenant_id, "integration.reapply_mapping", "Integration", integration.id, None,
        {"changed": result.changed, "unmatched": result.unmatched, "months": sorted(m.isoformat() for m in months)},
    )
    return result
