"""From a bearer token to a Principal with its visible tenant set, computed once per request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import apikeys, tokens
from app.auth.principal import Principal
from app.tenants.models import Grant, Role, Tenant, TenantStatus, User


async def visible_tenant_ids(session: AsyncSession, practice_id, *, user_id=None, only=None) -> frozenset:
    """Active tenants of the practice; narrowed to a user's grants or a key's scope when given."""
    query = select(Tenant.id).where(Tenant.practice_id == practice_id, Tenant.status == TenantStatus.ACTIVE)
    if user_id is not None:
        query = query.join(Grant, Grant.tenant_id == Tenant.id).where(Grant.user_id == user_id)
    if only is not None:
        query = query.where(Tenant.id.in_(only))
    return frozenset(await session.scalars(query))


async def principal_for_user(session: AsyncSession, user: User) -> Principal:
    grants_only = None if user.role == Role.PRACTICE_ADMIN else user.id
    tenant_ids = await visible_tenant_ids(session, user.practice_id, user_id=grants_only)
    return Principal("user", user.id, user.practice_id, user.role, tenant_ids)


async def resolve(session: AsyncSession, secret: str, authorization: str | None) -> Principal | None:
    """The caller behind an `Authorization: Bearer ...` header, or None for anyone else."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer "):].strip()
    if token.startswith(apikeys.PREFIX):
        key = await apikeys.authenticate(session, token)
        if key is None:
            return None
        tenant_ids = await visible_tenant_ids(session, key.practice_id, only=key.tenant_ids)
        return Principal("api_key", key.id, key.practice_id, None, tenant_ids)
    user_id = tokens.verify(secret, token)
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    if user is None or user.disabled_at is not None:
        return None
    return await principal_for_user(session, user)
