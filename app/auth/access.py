"""From a bearer token to a Principal with its visible tenant set, computed once per request."""

from __future__ import annotations

import dataclasses
import functools

from sqlalchemy import (
    BigInteger,
    Select,
    Text,
    Uuid,
    any_,
    bindparam,
    case,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import apikeys, tokens
from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.auth.roster import Rosters, active_in, practice_tenants
from app.db import citus, driver, versions
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
    row = await driver.fetch_row(session, user_statement(scope, versioned, generic_plans),
                                 {"user_id": user_id, "known": rosters.known_for(user_id)})
    if row is None or row.disabled_at is not None or generation not in (None, row.session_generation):
        return None  # with `scope`, `resolve` clears the setting for a caller it does not know
    principal = await _principal_of(session, rosters, row, "user", Role(row.role), versioned)
    if scope:
        await _scope_on_citus(session, principal)
    return principal


async def key_principal(session: AsyncSession, token: str, *, rosters: Rosters, versioned: bool = False
                        ) -> Principal | None:
    """An API key (`fcio_<id>_<secret>`) with the tenants it reaches, in one statement that also
    sets the transaction's scope, as for a user: the key's tenants (the ACTIVE ones it lists), or
    its whole practice when it lists none. Once a minute its use is noted (`apikeys.note_use`)."""
    parsed = apikeys.parse(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    row = await driver.fetch_row(session, key_statement(versioned), {
        "key_id": key_id, "secret_hash": apikeys.hash_of(secret), "known": rosters.known_for(key_id)})
    if row is None or not apikeys.opens(row, secret):
        return None  # the statement set no scope for it; `resolve` clears the setting anyway
    await apikeys.note_use(session, row)
    principal = await _principal_of(session, rosters, row, "api_key", None, versioned)
    await _scope_on_citus(session, principal)
    return principal


async def _principal_of(session: AsyncSession, rosters: Rosters, row, kind: str, role, versioned: bool) -> Principal:
    """The principal an authentication statement's row describes: its listed tenants and their
    counters, or (a row with a roster counter) its whole practice at that counter."""
    if row.roster is None:
        counted = counters(row.ids, row.tenant_versions) if versioned else {}
        return Principal(kind, row.id, row.practice_id, role, frozenset(row.ids), **counted)
    tenant_ids = await _practice_set(session, rosters, row, row.practice_id, row.id)
    return Principal(kind, row.id, row.practice_id, role, tenant_ids, row.data_version if versioned else None,
                     roster=row.roster)


async def _scope_on_citus(session: AsyncSession, principal: Principal) -> None:
    """The statement's set_config stays on a Citus coordinator; the workers need the scope as a SET."""
    if await citus.on_citus(session):
        await set_tenants(session, *principal.scope())


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


@functools.cache
def key_statement(versioned: bool) -> Select:
    """`key_principal`'s statement, built once, shaped like `user_statement`: the key, the tenants
    it reaches and the scope for them. The scope is set only for a key the statement finds good
    (not revoked, the hash its secret's), so a wrong secret leaves the transaction unscoped."""
    listed = ApiKey.tenant_ids.is_not(None)
    reachable = (select(Tenant.id).where(active_in(ApiKey.practice_id), Tenant.id == any_(ApiKey.tenant_ids))
                 .correlate_except(Tenant).order_by(Tenant.id))
    reached = select(func.array(reachable.scalar_subquery()).label("ids")).offset(0).lateral("reached")
    roster = versions.practice_counter(ApiKey.practice_id, "roster")
    known = bindparam("known", type_=BigInteger)
    good = ApiKey.revoked_at.is_(None) & (ApiKey.secret_hash == bindparam("secret_hash", type_=Text))
    ids = case((listed, reached.c.ids), (roster != known, practice_tenants(ApiKey.practice_id)))
    columns = [ApiKey.id, ApiKey.practice_id, ApiKey.secret_hash, ApiKey.revoked_at, ApiKey.last_used_at,
               case((~listed, roster)).label("roster"), ids.label("ids"),
               func.set_config("app.tenant_ids", case((good & listed, cast(reached.c.ids, Text)), else_=""), True),
               func.set_config("app.practice_id", case((good & ~listed, cast(ApiKey.practice_id, Text)), else_=""), True)]
    if versioned:
        columns.append(case((~listed, versions.practice_counter(ApiKey.practice_id, "data"))).label("data_version"))
        columns.append(case((listed, versions.versions_of(reached.c.ids))).label("tenant_versions"))
    return (select(*columns).select_from(ApiKey).join(reached, true())
            .where(ApiKey.id == bindparam("key_id", type_=Uuid)))


async def _practice_set(session: AsyncSession, rosters: Rosters, row, practice_id, caller_id=None) -> frozenset:
    """The practice's tenant set at the counter `row` read, from `row.ids` or `rosters`."""
    tenant_ids = rosters.resolve(practice_id, row.roster, row.ids, caller_id)
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
    if principal is None:  # a user's and a key's own statements set the scope of those they find
        await set_tenants(session, (), None)
    return principal


async def _caller(session: AsyncSession, secret: str, authorization: str | None, versioned: bool,
                  rosters: Rosters, generic_plans: bool) -> Principal | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer "):].strip()
    if token.startswith(apikeys.PREFIX):
        return await key_principal(session, token, rosters=rosters, versioned=versioned)
    claims = tokens.verify(secret, token)
    if claims is None:
        return None
    principal = await user_principal(session, claims.user_id, rosters=rosters, scope=True, versioned=versioned,
                                     generation=claims.generation, generic_plans=generic_plans)
    if principal is not None and claims.scope == tokens.ENROLL:
        principal = dataclasses.replace(principal, enroll_only=True)
    return principal


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
