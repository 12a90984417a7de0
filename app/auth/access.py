"""From a bearer token to a Principal with its visible tenant set, computed once per request."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import apikeys, tokens
from app.auth.principal import Principal
from app.tenants.models import Grant, Role, Tenant, TenantStatus, User


async def visible_tenant_ids(session: AsyncSession, practice_id, *, only) -> frozenset:
    """Active tenants of the practice, narrowed to an API key's scope when it has one."""
    query = select(Tenant.id).where(Tenant.practice_id == practice_id, Tenant.status == TenantStatus.ACTIVE)
    if only is not None:
        query = query.where(Tenant.id.in_(only))
    return frozenset(await session.scalars(query))


async def principal_for_user(session: AsyncSession, user: User) -> Principal:
    return await user_principal(session, user.id)


async def user_principal(session: AsyncSession, user_id) -> Principal | None:
    """An enabled user with the tenants it sees, in one statement (it runs before every request)."""
    row = (await session.execute(
        select(User.id, User.practice_id, User.role, User.disabled_at, user_tenants(User).label("tenant_ids"))
        .where(User.id == user_id)
    )).one_or_none()
    if row is None or row.disabled_at is not None:
        return None
    return Principal("user", row.id, row.practice_id, row.role, frozenset(row.tenant_ids))


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
    return await user_principal(session, user_id)


def user_tenants(user):
    """The ids of the active tenants a user sees: all of the practice for admins, else its grants."""
    granted = (select(Grant.tenant_id).where(Grant.tenant_id == Tenant.id, Grant.user_id == user.id)
               .correlate_except(Grant).exists())
    return func.array(
        select(Tenant.id)
        .where(Tenant.practice_id == user.practice_id, Tenant.status == TenantStatus.ACTIVE,
               or_(user.role == Role.PRACTICE_ADMIN, granted))
        .scalar_subquery()
    )
