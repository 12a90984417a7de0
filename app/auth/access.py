"""From a bearer token to a Principal with its visible tenant set, computed once per request."""

from __future__ import annotations

import dataclasses
import functools

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Select,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import apikeys, tokens
from app.auth.principal import Principal
from app.auth.roster import Rosters, active_in, practice_tenants
from app.db import citus, versions
from app.db.scope import GENERIC_PLANS, set_tenants
from app.tenants.models import Grant, Role, Tenant, User


async def user_principal(session: AsyncSession, user_id, *, rosters: Rosters, scope: bool = False,
                         versioned: bool = False, generation: int | None = None,
                         generic_plans: bool = False) -> Principal | None:
    """An enabled user with the tenants it sees, in one statement (it runs before every request).

    With `generation` (a token's), None unless it is the user's current session generation: a
    revoked token stops like a disabled user's, from the row read anyway (app/accounts/sessions.py).

    An admin sees the whole practice: the statement reads the practice's roster counter and sends
    the practice's tenant ids only when `rosters` keeps none at that counter. With `scope`, the
    same statement sets the transaction's tenant scope (the practice for an admin, the granted
    ids for others, nothing for a disabled user): a round trip less on every request. With
    `versioned`, it also reads the change counter of what the user sees (`Principal.data_version`):
    the practice's for an admin, else each of its tenants' (`Principal.tenant_versions`). With
    `generic_plans`, it also sets `scope.GENERIC_PLANS` for the transaction (the report's).
    """
    row = (await session.execute(user_statement(scope, versioned, generic_plans),
                                 {"user_id": user_id, "known": rosters.known_for_user(user_id)})).one_or_none()
    if row is None or row.disabled_at is not None or generation not in (None, row.session_generation):
        return None  # with `scope`, `resolve` clears the setting for a caller it does not know
    version = row.data_version if versioned else None
    if row.roster is None:
        counted = counters(row.ids, row.tenant_versions) if versioned else {}
        principal = Principal("user", row.id, row.practice_id, row.role, frozenset(row.ids), **counted)
    else:
        tenant_ids = await _practice_set(session, rosters, row, row.practice_id, row.id)
        principal = Principal("user", row.id, row.practice_id, row.role, tenant_ids, version, roster=row.roster)
    if scope and await citus.on_citus(session):
        # The statement's set_config stays on the coordinator; the workers need the scope as a SET.
        await set_tenants(session, *principal.scope())
    return principal


@functools.cache
def user_statement(scope: bool, versioned: bool, generic_plans: bool = False) -> Select:
    """`user_principal`'s statement, built once: building it took longer than running it."""
    admin = User.role == Role.PRACTICE_ADMIN
    roster = versions.practice_counter(User.practice_id, "roster")
    # OFFSET 0 keeps the lateral a subquery evaluated once: pulled up, its array was built again
    # for every column that names it (three times a request).
    granted = select(granted_tenants(User).label("ids")).offset(0).lateral("granted")
    known = bindparam("known", type_=BigInteger)
    ids = case((~admin, granted.c.ids), (roster != known, practice_tenants(User.practice_id)))
    columns = [User.id, User.practice_id, User.role, User.disabled_at, User.session_generation,
               case((admin, roster)).label("roster"), ids.label("ids")]
    if scope:
        enabled = User.disabled_at.is_(None)
        columns.append(func.set_config("app.tenant_ids", case((enabled & ~admin, cast(granted.c.ids, Text)), else_=""), True))
        columns.append(func.set_config("app.practice_id", case((enabled & admin, cast(User.practice_id, Text)), else_=""), True))
    if versioned:
        columns.append(case((admin, versions.practice_counter(User.practice_id, "data"))).label("data_version"))
        columns.append(case((~admin, versions.versions_of(granted.c.ids))).label("tenant_versions"))
    if generic_plans:
        columns.append(GENERIC_PLANS)
    return select(*columns).select_from(User).join(granted, true()).where(User.id == bindparam("user_id", type_=Uuid))


async def _practice_set(session: AsyncSession, rosters: Rosters, row, practice_id, user_id=None) -> frozenset:
    """The practice's tenant set at the counter `row` read, from `row.ids` or `rosters`."""
    tenant_ids = rosters.resolve(practice_id, row.roster, row.ids, user_id)
    if tenant_ids is None:  # replaced meanwhile by a newer set: read the one at this counter
        tenant_ids = frozenset(await session.scalar(select(practice_tenants(practice_id))))
    return tenant_ids


async def resolve(session: AsyncSession, secret: str, authorization: str | None, *,
                  versioned: bool = False, rosters: Rosters | None = None, enrolling: bool = False,
                  generic_plans: bool = False) -> Principal | None:
    """The caller behind an `Authorization: Bearer ...` header, or None for anyone else.

    The transaction's tenant scope is set to exactly what the caller sees (nothing for anyone
    else). With `versioned`, the principal carries the change counter of what it sees, read
    before any data. `rosters` keeps practices' tenant sets between requests (a fresh one: none).
    A token good only for enrolling in two-factor sign-in is a caller only where `enrolling` says
    the path knows to limit it (`POST /graphql`, app/auth/enrollment.py); anywhere else it is none.
    With `generic_plans`, a user's authenticating statement also sets `scope.GENERIC_PLANS`.
    """
    principal = await _caller(session, secret, authorization, versioned, rosters or Rosters(), generic_plans)
    if principal is not None and principal.enroll_only and not enrolling:
        principal = None
    if principal is None or principal.kind != "user":
        await set_tenants(session, *(principal.scope() if principal else ((), None)))
    return principal


async def _caller(session: AsyncSession, secret: str, authorization: str | None, versioned: bool,
                  rosters: Rosters, generic_plans: bool) -> Principal | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer "):].strip()
    if token.startswith(apikeys.PREFIX):
        key = await apikeys.authenticate(session, token)
        return None if key is None else await _key_principal(session, key, versioned, rosters)
    claims = tokens.verify(secret, token)
    if claims is None:
        return None
    principal = await user_principal(session, claims.user_id, rosters=rosters, scope=True, versioned=versioned,
                                     generation=claims.generation, generic_plans=generic_plans)
    if principal is not None and claims.scope == tokens.ENROLL:
        principal = dataclasses.replace(principal, enroll_only=True)
    return principal


async def _key_principal(session: AsyncSession, key, versioned: bool, rosters: Rosters) -> Principal:
    """An API key: its tenants (the whole practice when it names none), as for a user."""
    if key.tenant_ids is not None:
        only = select(Tenant.id).where(active_in(key.practice_id), Tenant.id.in_(key.tenant_ids))
        tenant_ids = frozenset(await session.scalars(only))
        counted = {}
        if versioned:
            listed = sorted(tenant_ids)
            counted = counters(listed, await session.scalar(select(versions.versions_of(literal(listed, ARRAY(Uuid))))))
        return Principal("api_key", key.id, key.practice_id, None, tenant_ids, **counted)
    roster = versions.practice_counter(key.practice_id, "roster")
    columns = [roster.label("roster"),
               case((roster != rosters.known(key.practice_id), practice_tenants(key.practice_id))).label("ids")]
    if versioned:
        columns.append(versions.practice_counter(key.practice_id, "data").label("data_version"))
    row = (await session.execute(select(*columns))).one()
    tenant_ids = await _practice_set(session, rosters, row, key.practice_id)
    return Principal("api_key", key.id, key.practice_id, None, tenant_ids,
                     row.data_version if versioned else None, roster=row.roster)


def counters(tenant_ids, found) -> dict:
    """A principal's counters from `versions_of(tenant_ids)`: each listed tenant's, and their sum."""
    each = dict(zip(tenant_ids, found or (), strict=True))
    return {"data_version": sum(each.values()), "tenant_versions": each}


def granted_tenants(user):
    """The ids of the active tenants granted to a user, sorted (an admin's grants are not read: it
    sees the whole practice, app/auth/roster.py).

    Sorted, because the list becomes the tenant setting that row security compares against in
    every index scan, and PostgreSQL sorts that array for each scan: presorted, it is a check
    (6 ms instead of 10 for the top-risks page).

    The user's grants are read first and each tenant is checked by its key (a scalar subquery is
    never turned into a join): as a join, the planner hashed every tenant of the practice whenever
    it guessed a user had many grants (this statement took 5.7 ms for a 10-tenant CIO of the
    bench's 5,000-tenant practice, against 0.8 ms this way).
    """
    active = select(active_in(user.practice_id)).where(Tenant.id == Grant.tenant_id).correlate_except(Tenant)
    granted = (select(Grant.tenant_id)
               .where(Grant.user_id == user.id, user.role != Role.PRACTICE_ADMIN, active.scalar_subquery())
               .correlate_except(Grant).order_by(Grant.tenant_id))
    return func.array(granted.scalar_subquery())
