"""Login: the same answer for an unknown email and a wrong password, rate limited in Redis."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ratelimit, tokens
from app.auth.passwords import verify_password
from app.errors import Invalid, Limit
from app.settings import Settings
from app.tenants.models import User

PER_EMAIL = (10, 900)  # failed attempts, window in seconds
PER_ADDRESS = (50, 900)
BAD_LOGIN = "Email or password is not right."


async def login(session: AsyncSession, redis, settings: Settings, email: str, password: str, address: str) -> tuple[str, User]:
    email = (email or "").strip().lower()
    limits = ((f"login:email:{email}", PER_EMAIL), (f"login:addr:{address}", PER_ADDRESS))
    for key, (limit, _) in limits:
        wait = await ratelimit.blocked(redis, key, limit)
        if wait:
            raise Limit(f"Too many failed sign-in attempts. Try again in {wait} seconds.", retry_after=wait)
    user = await session.scalar(select(User).where(User.email == email))
    # Verify against a dummy hash when the user is unknown, so both cases take the same time.
    valid = verify_password(user.password_hash if user else None, password or "")
    if not valid or user is None or user.disabled_at is not None:
        # Only failures count: a busy office behind one address signs in freely.
        for key, (limit, window) in limits:
            await ratelimit.hit(redis, key, limit, window)
        raise Invalid(BAD_LOGIN, ["password"])
    await ratelimit.reset(redis, f"login:email:{email}")
    return tokens.for_user(settings, user), user
