"""Login: the same answer for an unknown email and a wrong password, rate limited in Redis.

A user with two-factor sign-in in force also sends `otp` (a current code or an unused recovery
code); without a valid one the answer is MFA_REQUIRED whether or not the password was right, and
the failure counts toward the account's lock like a wrong password (app/auth/lockout.py). A code
is spent only when the password was right too. A user whose practice requires two factors of
their role and who has not enrolled gets a token good only for enrolling (app/auth/enrollment.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import record_for_account
from app.auth import lockout, tokens, twofactor
from app.auth.passwords import verify_password
from app.errors import Invalid, MfaRequired
from app.settings import Settings
from app.tenants.models import User

BAD_LOGIN = "Email or password is not right."
NEEDS_CODE = "This account signs in with two factors: send `otp`, the current code of your authenticator app " \
             "(or one of your recovery codes)."


async def login(session: AsyncSession, redis, settings: Settings, email: str, password: str, address: str,
                otp: str | None = None) -> tuple[str, User]:
    email = (email or "").strip().lower()
    await lockout.refuse_if_locked(redis, email, address)
    user = await session.scalar(select(User).where(User.email == email))
    # Verify against a dummy hash when the user is unknown, so both cases take the same time.
    valid = verify_password(user.password_hash if user else None, password or "")
    enabled = user is not None and user.disabled_at is None
    accepted = twofactor.check(settings, user, otp) if enabled and twofactor.in_force(user) else None
    if enabled and twofactor.in_force(user) and accepted is None:
        await lockout.count_failure(redis, email, address)
        raise MfaRequired(NEEDS_CODE, ["otp"])
    if not valid or not enabled:
        await lockout.count_failure(redis, email, address)
        raise Invalid(BAD_LOGIN, ["password"])
    if accepted is not None:
        await twofactor.spend(session, user, accepted)
        if accepted.recovery_hash is not None:
            await record_for_account(session, None, user.id, "user.totp_recovery_used",
                                     {"recovery_codes_left": len(user.totp_recovery_hashes)})
    await lockout.clear(redis, email)
    enroll_only = await twofactor.required_of(session, user) and accepted is None
    return tokens.for_user(settings, user, enroll_only=enroll_only), user


async def token_for_new_password(session: AsyncSession, settings: Settings, user: User) -> str | None:
    """The token an accepted invitation or a password reset hands out, as login's would be (good
    only for enrolling where the practice requires two factors of the role). None for a user with
    two-factor sign-in in force: a mailed link is one factor, so they sign in with the new password
    and a code."""
    if twofactor.in_force(user):
        return None
    return tokens.for_user(settings, user, enroll_only=await twofactor.required_of(session, user))
