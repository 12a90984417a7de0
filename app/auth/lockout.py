"""The account's lock: failed sign-in attempts counted per account and per client address.

Wrong passwords and wrong second-factor codes (at login, and when confirming or disabling
two-factor sign-in) count alike, so guessing six-digit codes is as slow as guessing passwords:
10 failures lock the account for the rest of its 15-minute window, 50 the address.
"""

from __future__ import annotations

from app.auth import ratelimit
from app.errors import Limit

PER_EMAIL = (10, 900)  # failed attempts, window in seconds
PER_ADDRESS = (50, 900)


def _limits(email: str, address: str) -> tuple:
    return (f"login:email:{email}", PER_EMAIL), (f"login:addr:{address}", PER_ADDRESS)


async def refuse_if_locked(redis, email: str, address: str) -> None:
    """LIMIT (with the seconds to wait) when the account or the address is locked."""
    for key, (limit, _) in _limits(email, address):
        wait = await ratelimit.blocked(redis, key, limit)
        if wait:
            raise Limit(f"Too many failed sign-in attempts. Try again in {wait} seconds.", retry_after=wait)


async def count_failure(redis, email: str, address: str) -> None:
    # Only failures count: a busy office behind one address signs in freely.
    for key, (limit, window) in _limits(email, address):
        await ratelimit.hit(redis, key, limit, window)


async def clear(redis, email: str) -> None:
    """A successful sign-in clears the account's count (not the address's)."""
    await ratelimit.reset(redis, f"login:email:{email}")
