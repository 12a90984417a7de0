"""The account's lock: failed sign-in attempts counted per account and per client address.

Wrong passwords and wrong second-factor codes (at login, and when confirming or disabling
two-factor sign-in) count alike toward the account, so guessing six-digit codes is as slow as
guessing passwords: 10 failures lock the account for the rest of its 15-minute window. Failed
logins also count toward the client address (50), which stops one address spraying many
accounts; a signed-in user's wrong codes do not (they can only ever reach their own account).
"""

from __future__ import annotations

from app.auth import ratelimit
from app.errors import Limit

PER_EMAIL = (10, 900)  # failed attempts, window in seconds
PER_ADDRESS = (50, 900)


def _limits(email: str, address: str | None) -> tuple:
    account = (f"login:email:{email}", PER_EMAIL)
    return (account,) if address is None else (account, (f"login:addr:{address}", PER_ADDRESS))


async def refuse_if_locked(redis, email: str, address: str | None) -> None:
    """LIMIT (with the seconds to wait) when the account (or the address, when given) is locked."""
    for key, (limit, _) in _limits(email, address):
        wait = await ratelimit.blocked(redis, key, limit)
        if wait:
            raise Limit(f"Too many failed sign-in attempts. Try again in {wait} seconds.", retry_after=wait)


async def count_failure(redis, email: str, address: str | None) -> None:
    # Only failures count: a busy office behind one address signs in freely.
    for key, (limit, window) in _limits(email, address):
        await ratelimit.hit(redis, key, limit, window)


async def clear(redis, email: str) -> None:
    """A successful sign-in clears the account's count (not the address's)."""
    await ratelimit.reset(redis, f"login:email:{email}")
