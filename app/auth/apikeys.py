"""API keys `fcio_<id>_<secret>`: the id finds the row, a SHA-256 of the 256-bit secret checks it.

A fast hash is right here: the secret is random and long, so there is nothing to brute-force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.db.scope import set_tenants
from app.errors import Forbidden, NotFound
from app.tenants.models import Tenant

PREFIX = "fcio_"


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[uuid.UUID, str] | None:
    if not token.startswith(PREFIX):
        return None
    try:
        key_id, secret = token[len(PREFIX):].split("_", 1)
        return uuid.UUID(hex=key_id), secret
    except ValueError:
        return None


async def create_api_key(
    session: AsyncSession, actor: Principal, name: str, tenant_ids: list[uuid.UUID] | None
) -> tuple[ApiKey, str]:
    """Returns the key row and the full key, which is shown once and never stored."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins create API keys.")
    name = v.text(name, "name")
    if tenant_ids is not None:
        wanted = set(tenant_ids)
        found = set(
            await session.scalars(
                select(Tenant.id).where(Tenant.practice_id == actor.practice_id, Tenant.id.in_(wanted))
            )
        )
        if not wanted or found != wanted:
            raise NotFound("Tenant not found.", ["tenantIds"])
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        practice_id=actor.practice_id,
        name=name,
        prefix=secret[:8],
        secret_hash=hash_of(secret),
        tenant_ids=sorted(set(tenant_ids)) if tenant_ids is not None else None,
        created_by=actor.id,
    )
    session.add(key)
    await session.flush()
    await set_tenants(session, *actor.scope())
    await record(session, actor, reach(actor, key), "api_key.create", "ApiKey", key.id, None, _audited(key))
    return key, f"{PREFIX}{key.id.hex}_{secret}"


def reach(actor: Principal, key: ApiKey) -> frozenset[uuid.UUID]:
    """The tenants a key can touch: its scope, or every tenant of the practice."""
    return actor.tenant_ids if key.tenant_ids is None else actor.tenant_ids & set(key.tenant_ids)


def _audited(key: ApiKey) -> dict:
    return snapshot(key, exclude=("secret_hash",))


def opens(key, secret: str) -> bool:
    """The secret opens the key (a row of it, or of the authentication statement): not revoked,
    and its hash the one stored, compared in constant time."""
    return key.revoked_at is None and hmac.compare_digest(key.secret_hash, hash_of(secret))


async def note_use(session: AsyncSession, key) -> None:
    """When the key was last used, coarsely (once a minute) so a busy key does not write on every
    request. The row stays locked until the writer commits, so a request that finds it locked
    leaves it to that writer (SKIP LOCKED) instead of waiting for the rest of that writer's push."""
    now = dt.datetime.now(dt.UTC)
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        free = select(ApiKey.id).where(ApiKey.id == key.id).with_for_update(skip_locked=True, key_share=True)
        await session.execute(update(ApiKey).where(ApiKey.id == free.scalar_subquery()).values(last_used_at=now))


async def revoke_api_key(session: AsyncSession, actor: Principal, key_id: uuid.UUID) -> ApiKey:
    if not actor.is_admin:
        raise Forbidden("Only practice admins revoke API keys.")
    key = await session.get(ApiKey, key_id)
    if key is None or key.practice_id != actor.practice_id:
        raise NotFound("API key not found.", ["id"])
    if key.revoked_at is None:
        before = _audited(key)
        key.revoked_at = dt.datetime.now(dt.UTC)
        await session.flush()
        await set_tenants(session, *actor.scope())
        await record(session, actor, reach(actor, key), "api_key.revoke", "ApiKey", key.id, before, _audited(key))
    return key
