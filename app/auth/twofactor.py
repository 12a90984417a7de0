"""Two-factor sign-in: enrolling a TOTP app, the second factor at sign-in, the practice's policy.

`enroll` stores a new secret (encrypted like the integration secrets) that is not in force until
`confirm` gets a correct first code; confirming shows the 10 recovery codes once. A code is spent
when accepted (the user's last step moves past it) and a recovery code when used; both changes
go through the versioned users row, so two requests racing with one code cannot both win (the
second is a CONFLICT). Wrong codes count toward the account's lock (app/auth/lockout.py).

A practice may require two factors of the roles it names: its users of those roles who have not
enrolled sign in with a token good only for enrolling (app/auth/enrollment.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record
from app.auth import lockout, totp
from app.auth.access import user_principal
from app.auth.principal import Principal
from app.auth.roster import Rosters
from app.db.scope import set_tenants
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.integrations.secrets import SecretUnreadable, decrypt, encrypt
from app.settings import Settings
from app.tenants.models import Practice, Role, User

ISSUER = "fcio"  # the account's label in the authenticator app: "fcio (jane@example.com)"
WRONG_CODE = "The code is not right: type the current six-digit code from your authenticator app."


def in_force(user: User) -> bool:
    return user.totp_enabled_at is not None


@dataclass(frozen=True)
class Accepted:
    """A second factor that matched: the TOTP step it was valid for, or the recovery code's hash."""

    step: int | None = None
    recovery_hash: str | None = None


def check(settings: Settings, user: User, otp: str | None, now: float | None = None) -> Accepted | None:
    """Whether `otp` (a current code or an unused recovery code) is a second factor of `user` now;
    nothing is spent (see `spend`)."""
    if not otp or user.totp_secret_encrypted is None:
        return None
    if totp.looks_like_code(otp):
        try:
            secret = decrypt(settings.secret_key, user.totp_secret_encrypted)
        except SecretUnreadable:  # FCIO_SECRET_KEY changed: only the recovery codes still work
            return None
        step = totp.matching_step(secret, otp, user.totp_last_step, now)
        return Accepted(step=step) if step is not None else None
    hashed = totp.recovery_hash(otp)
    return Accepted(recovery_hash=hashed) if hashed in (user.totp_recovery_hashes or []) else None


async def spend(session: AsyncSession, user: User, accepted: Accepted) -> None:
    """The code cannot be taken again: its step (and every one before) or the recovery code is used up."""
    if accepted.step is not None:
        user.totp_last_step = accepted.step
    else:
        user.totp_recovery_hashes = [h for h in user.totp_recovery_hashes if h != accepted.recovery_hash]
    await session.flush()


async def required_of(session: AsyncSession, user: User) -> bool:
    """Whether the user's practice requires two factors of the user's role."""
    practice = await session.get(Practice, user.practice_id)
    return user.role.value in (practice.two_factor_roles or [])


async def _own_user(session: AsyncSession, actor: Principal) -> User:
    if actor.kind != "user" or actor.id is None:
        raise Forbidden("Two-factor sign-in belongs to a signed-in user; an API key has none.")
    return await session.get(User, actor.id)


async def _audit(session: AsyncSession, actor: Principal, action: str, user: User, after: dict) -> None:
    """Audited under every tenant the user reaches, as other changes above tenancy are."""
    await set_tenants(session, *actor.scope())
    await record(session, actor, actor.tenant_ids, action, "User", user.id, None, after)


async def enroll(session: AsyncSession, settings: Settings, actor: Principal) -> tuple[str, str]:
    """A new secret and its `otpauth://` URI; it replaces an enrolment not yet confirmed."""
    user = await _own_user(session, actor)
    if in_force(user):
        raise Conflict("Two-factor sign-in is already on. Turn it off first (disableTotp with a current code).")
    secret = totp.new_secret()
    user.totp_secret_encrypted = encrypt(settings.secret_key, secret)
    user.totp_last_step = None
    await session.flush()
    await _audit(session, actor, "user.totp_enroll", user, {"totp": "enrolling"})
    return secret, totp.uri(secret, user.email, ISSUER)


async def _second_factor(session: AsyncSession, redis, settings: Settings, user: User, code: str) -> None:
    """Accept and spend `code`, or count a failure toward the account's lock and refuse."""
    await lockout.refuse_if_locked(redis, user.email, None)
    accepted = check(settings, user, code)
    if accepted is None:
        await lockout.count_failure(redis, user.email, None)
        raise Invalid(WRONG_CODE, ["code"])
    await spend(session, user, accepted)


async def confirm(session: AsyncSession, redis, settings: Settings, actor: Principal, code: str) -> list[str]:
    """Two-factor sign-in in force from now on; the recovery codes, shown this once."""
    user = await _own_user(session, actor)
    if in_force(user):
        raise Conflict("Two-factor sign-in is already on.")
    if user.totp_secret_encrypted is None:
        raise Invalid("Start with enrollTotp: it gives the secret to add to your authenticator app.", ["code"])
    if not totp.looks_like_code(code):
        raise Invalid(WRONG_CODE, ["code"])  # a recovery code does not exist yet
    await _second_factor(session, redis, settings, user, code)
    codes = totp.new_recovery_codes()
    user.totp_recovery_hashes = [totp.recovery_hash(c) for c in codes]
    user.totp_enabled_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await _audit(session, actor, "user.totp_confirm", user, {"totp": "on"})
    return codes


async def disable(session: AsyncSession, redis, settings: Settings, actor: Principal, code: str) -> User:
    """Two-factor sign-in off, with a current code (or an unused recovery code, for a lost phone)."""
    user = await _own_user(session, actor)
    if not in_force(user):
        raise Invalid("Two-factor sign-in is not on.", ["code"])
    await _second_factor(session, redis, settings, user, code)
    await _turn_off(session, user)
    await _audit(session, actor, "user.totp_disable", user, {"totp": "off"})
    return user


async def _turn_off(session: AsyncSession, user: User) -> None:
    user.totp_secret_encrypted = user.totp_enabled_at = user.totp_last_step = None
    user.totp_recovery_hashes = []
    await session.flush()


async def reset(session: AsyncSession, email: str) -> User:
    """Two-factor sign-in off for a user who lost both the app and the recovery codes: an
    operator's way back in (`fcio users reset-two-factor`), audited as the system under every
    tenant the user reaches. The user signs in with the password again, and enrols anew."""
    user = await session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound("No user has this email.", ["email"])
    await _turn_off(session, user)
    reach = await user_principal(session, user.id, rosters=Rosters())
    tenant_ids = reach.tenant_ids if reach else frozenset()
    await _audit(session, Principal.system(tenant_ids, user.practice_id), "user.totp_reset", user, {"totp": "off"})
    return user


async def set_policy(session: AsyncSession, actor: Principal, roles: list[Role]) -> list[Role]:
    """The roles of the actor's practice that must sign in with two factors (practice admins only)."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins set the two-factor policy.")
    practice = await session.get(Practice, actor.practice_id)
    before = {"two_factor_roles": practice.two_factor_roles}
    practice.two_factor_roles = sorted({r.value for r in roles})
    await session.flush()
    await record(session, actor, actor.tenant_ids, "practice.two_factor_roles", "Practice", practice.id, before,
                 {"two_factor_roles": practice.two_factor_roles})
    return [Role(r) for r in practice.two_factor_roles]


async def policy(session: AsyncSession, actor: Principal) -> list[Role]:
    """The roles the viewer's practice requires two factors of (any signed-in user may read it)."""
    if actor.kind != "user":
        raise Forbidden("The two-factor policy is read by a signed-in user.")
    practice = await session.get(Practice, actor.practice_id)
    return [Role(r) for r in practice.two_factor_roles or []]
