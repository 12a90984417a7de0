"""Practices, tenants, users and grants: the writes, shared by the API, the CLI, seeds and tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.passwords import check_password, hash_password
from app.auth.principal import Principal
from app.db.scope import set_tenants
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.guards import check_version, require_writer, visible_tenant
from app.standards.actions import copy_library
from app.tenants.models import Grant, Practice, Role, Tenant, User


async def get_or_create_practice(session: AsyncSession, name: str) -> Practice:
    """A new practice starts with a copy of the built-in standards library."""
    name = v.text(name, "practice")
    practice = await session.scalar(select(Practice).where(Practice.name == name))
    if practice is None:
        practice = Practice(name=name, slug=await free_slug(session, Practice.slug, v.slugify(name, "practice")))
        session.add(practice)
        await session.flush()
        await copy_library(session, practice.id)
    return practice


async def create_user(
    session: AsyncSession,
    practice_id: uuid.UUID,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    tenant_ids: list[uuid.UUID] = (),
    actor: Principal | None = None,
) -> User:
    """A user of the practice, audited under each tenant the user can reach (audit is per tenant)."""
    email = v.text(email, "email", max_length=254).lower()
    if "@" not in email:
        raise Invalid("email must be an email address.", ["email"])
    check_password(password)
    if role == Role.CLIENT_EXECUTIVE and len(set(tenant_ids)) != 1:
        raise Invalid("A client executive is granted exactly one tenant.", ["tenantIds"])
    if await session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("A user with this email already exists.", ["email"])
    await require_practice_tenants(session, practice_id, tenant_ids)
    user = User(
        practice_id=practice_id,
        email=email,
        name=v.text(name, "name"),
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    await session.flush()
    for tenant_id in set(tenant_ids):
        session.add(Grant(user_id=user.id, tenant_id=tenant_id))
    await session.flush()
    if actor is not None:
        # An admin reaches every tenant the creating admin sees; others their grants.
        reach = actor.tenant_ids if role == Role.PRACTICE_ADMIN else set(tenant_ids)
        await set_tenants(session, *actor.scope(*tenant_ids))
        await record(session, actor, reach, "user.create", "User", user.id, None, snapshot(user, exclude=("password_hash", "calendar_feed_key")))
    return user


async def require_practice_tenants(session: AsyncSession, practice_id: uuid.UUID, tenant_ids) -> None:
    wanted = set(tenant_ids)
    if not wanted:
        return
    found = set(
        await session.scalars(
            select(Tenant.id).where(Tenant.practice_id == practice_id, Tenant.id.in_(wanted))
        )
    )
    if found != wanted:
        raise NotFound("Tenant not found.", ["tenantIds"])


async def unique_slug(session: AsyncSession, practice_id: uuid.UUID, name: str) -> str:
    """A tenant's slug, unique within its practice."""
    return await free_slug(session, Tenant.slug, v.slugify(name), Tenant.practice_id == practice_id)


async def free_slug(session: AsyncSession, column, base: str, *where) -> str:
    """`base`, or `base-2`, `base-3`... : the first not yet in `column` (among the rows `where` names)."""
    taken = set(await session.scalars(select(column).where(*where, column.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


TENANT_CHECKS = {
    "name": lambda value: v.text(value, "name"),
    "employee_count": lambda value: v.int_range(value, "employeeCount", 1, 10_000_000),
    "industry": lambda value: v.text(value, "industry", max_length=100, required=False),
}


async def create_tenant(
    session: AsyncSession,
    actor: Principal,
    *,
    name: str,
    employee_count: int,
    industry: str | None = None,
    fiscal_year_start_month: int = 1,
    currency: str = "USD",
) -> Tenant:
    if actor.kind == "user" and actor.role not in (Role.PRACTICE_ADMIN, Role.CIO):
        raise Forbidden("Only practice admins and CIOs create tenants.")
    if actor.practice_id is None:
        raise Forbidden("A tenant belongs to a practice.")
    fields = v.checked(Tenant, TENANT_CHECKS, dict(name=name, employee_count=employee_count, industry=industry))
    v.int_range(fiscal_year_start_month, "fiscalYearStartMonth", 1, 12)
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise Invalid("currency must be a three-letter ISO 4217 code such as USD.", ["currency"])
    tenant = Tenant(
        practice_id=actor.practice_id,
        slug=await unique_slug(session, actor.practice_id, fields["name"]),
        fiscal_year_start_month=fiscal_year_start_month,
        currency=currency,
        **fields,
    )
    session.add(tenant)
    await session.flush()
    if actor.kind == "user" and actor.role == Role.CIO:
        # A CIO who creates a client can manage it.
        session.add(Grant(user_id=actor.id, tenant_id=tenant.id))
    await set_tenants(session, *actor.scope(tenant.id))
    await record(session, actor, tenant.id, "tenant.create", "Tenant", tenant.id, None, snapshot(tenant))
    return tenant


async def update_tenant(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> Tenant:
    """Set the fields given (the names of `TENANT_CHECKS`); a None clears one, INVALID for a required one."""
    tenant = await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    check_version(tenant, expected_version)
    before = snapshot(tenant)
    for name, value in v.checked(Tenant, TENANT_CHECKS, changes).items():
        setattr(tenant, name, value)
    await session.flush()
    await record(session, actor, tenant.id, "tenant.update", "Tenant", tenant.id, before, snapshot(tenant))
    return tenant


async def _access_parties(session: AsyncSession, actor: Principal, user_id: uuid.UUID, tenant_id: uuid.UUID) -> User:
    """The user and tenant of a grant, both of the admin's practice; anything else is "not found",
    exactly as a malformed id is, so nothing tells another practice's user apart."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins manage access.")
    user = await session.get(User, user_id)
    tenant = await session.get(Tenant, tenant_id)
    if user is None or user.practice_id != actor.practice_id:
        raise NotFound("User not found.", ["userId"])
    if tenant is None or tenant.practice_id != actor.practice_id:
        raise NotFound("Tenant not found.", ["tenantId"])
    return user


async def grant_access(session: AsyncSession, actor: Principal, user_id: uuid.UUID, tenant_id: uuid.UUID) -> Grant:
    user = await _access_parties(session, actor, user_id, tenant_id)
    if user.role == Role.PRACTICE_ADMIN:
        raise Invalid("Practice admins already see every tenant of the practice.", ["userId"])
    existing = await session.get(Grant, (user_id, tenant_id))
    if existing:
        return existing
    if user.role == Role.CLIENT_EXECUTIVE and await session.scalar(select(Grant.tenant_id).where(Grant.user_id == user_id)):
        raise Invalid("A client executive is granted exactly one tenant.", ["userId"])
    grant = Grant(user_id=user_id, tenant_id=tenant_id)
    session.add(grant)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("Access was granted concurrently.") from None
    await set_tenants(session, *actor.scope(tenant_id))
    await record(session, actor, tenant_id, "grant.create", "Grant", user_id, None, {"user_id": str(user_id)})
    return grant


async def revoke_access(session: AsyncSession, actor: Principal, user_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    await _access_parties(session, actor, user_id, tenant_id)
    grant = await session.get(Grant, (user_id, tenant_id))
    if grant is None:
        raise NotFound("No such access.", ["userId"])
    await session.delete(grant)
    await session.flush()
    await record(session, actor, tenant_id, "grant.delete", "Grant", user_id, {"user_id": str(user_id)}, None)
