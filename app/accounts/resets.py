"""Password reset: asked for by address, answered the same whether or not the address has an account.

The request does the same work in both cases, so neither its answer nor its time tells: it counts
the address and the caller against their limits and enqueues one job with the address, and looks
nothing up. The job (`mail_reset`, run by the worker) decides: for an enabled account it voids the
account's earlier links, stores a new one (1 hour, its token only as a hash), records the request
and mails the link; for anything else it does nothing. `reset_password` consumes the token once,
sets the new password and ends every other session of the user: the token it answers is the only
one that works.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import validation as v
from app.accounts import links
from app.accounts.models import PasswordReset
from app.accounts.sessions import enabled_user, end_sessions, record_for_account
from app.auth import ratelimit
from app.auth.login import token_for_new_password
from app.auth.passwords import check_password, hash_password
from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.errors import Invalid, Limit
from app.services import Services
from app.settings import Settings
from app.tenants.models import User

MAIL_RESET = "mail_password_reset"  # (email: str, address: str), workers/main.py
LIFETIME = dt.timedelta(hours=1)
PER_EMAIL = (5, 3600)  # requests for one address (an account, or not), window in seconds
PER_ADDRESS = (30, 900)  # requests from one client address
PAGE = "reset-password"


def job_id(email: str) -> str:
    """One job per address at a time: asking again while it waits adds nothing."""
    return f"password-reset:{hashlib.sha256(email.encode()).hexdigest()}"


async def request_password_reset(redis, email: str, address: str) -> None:
    """`requestPasswordReset`: the limits, then one job; the same steps whatever the address."""
    email = v.email(email)
    for key, (limit, window) in ((f"reset:email:{email}", PER_EMAIL), (f"reset:addr:{address}", PER_ADDRESS)):
        wait = await ratelimit.hit(redis, key, limit, window)
        if wait:
            raise Limit(f"Too many password reset requests. Try again in {wait} seconds.", retry_after=wait)
    await redis.enqueue_job(MAIL_RESET, email, address, _job_id=job_id(email))


async def mail_reset(services: Services, email: str, address: str) -> bool:
    """The job: a link for an enabled account of `email`, mailed; False (nothing done) for any other address.

    The link is committed before the mail goes; a retry after a failed send mails a new one (and
    voids the one before). MailError propagates (the job retries a temporary one)."""
    settings = services.settings
    token, digest = links.mint()
    async with tenant_session(services.sessionmaker, ()) as session:
        user = await enabled_user(session, email)
        if user is None:
            return False
        await void_resets(session, user.id)
        session.add(PasswordReset(user_id=user.id, token_hash=digest, expires_at=dt.datetime.now(dt.UTC) + LIFETIME))
        await session.flush()
        await record_for_account(session, Principal.system(), user.id, "user.password_reset_request",
                                 {"requested_from": address})
        name = user.name
    await links.mail(settings, email, "Reset your fcio password", (
        f"Hello {name},\n\nSomeone (we hope you) asked to reset the password of this address on fcio. "
        f"Choose a new one here (the link works once, for {LIFETIME.seconds // 60} minutes):\n"
        f"{links.url(settings, PAGE, token)}\n\nIf it was not you, ignore this mail: your password stays as it is.\n"))
    return True


async def void_resets(session: AsyncSession, user_id) -> None:
    """The user's reset links not used yet stop working."""
    await session.execute(
        update(PasswordReset).where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None),
                                    PasswordReset.voided_at.is_(None))
        .values(voided_at=func.now()).execution_options(synchronize_session=False))


async def reset_password(session: AsyncSession, redis, settings: Settings, token: str, password: str,
                         address: str) -> tuple[str | None, User]:
    """`resetPassword`: the new password, every other session ended, and a token for this one (none
    for a user with two-factor sign-in: they sign in with the new password and a code)."""
    check_password(password)
    reset = await links.consume(session, PasswordReset, token, address, redis)
    user = await session.get(User, reset.user_id)
    if user is None or user.disabled_at is not None:  # disabled since the link was mailed: as if made up
        raise Invalid(links.BAD_TOKEN, ["token"])
    user = await end_sessions(session, user.id, password_hash=hash_password(password))
    await void_resets(session, user.id)
    await record_for_account(session, None, user.id, "user.password_reset")
    return await token_for_new_password(session, settings, user), user
