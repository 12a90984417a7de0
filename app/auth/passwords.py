"""Password hashing (argon2id). A dummy hash is verified for unknown emails so timing does not tell.

The cost is a setting (`FCIO_PASSWORD_HASH_PROFILE`): argon2-cffi's RFC 9106 low-memory profile
(3 passes over 64 MiB, 4 lanes) unless a test run asks for its cheapest one, which production
refuses (app/settings.py). A stored hash carries its own parameters, so either verifies whatever
the setting is now; the dummy is made with the current one, so an unknown email costs what a known
one does.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import Invalid
from app.settings import get_settings

MIN_LENGTH = 10

PROFILES = {"rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}


@lru_cache
def _hasher(profile: str) -> tuple[PasswordHasher, str]:
    """The hasher of `profile` and its dummy hash."""
    hasher = PasswordHasher.from_parameters(PROFILES[profile])
    return hasher, hasher.hash("not-a-real-password")


def _current() -> tuple[PasswordHasher, str]:
    return _hasher(get_settings().password_hash_profile)


def check_password(password: str | None) -> str:
    """The password rule, one for every path that sets one (createUser, an invitation, a reset)."""
    if len(password or "") < MIN_LENGTH:
        raise Invalid(f"password must be at least {MIN_LENGTH} characters.", ["password"])
    return password


def hash_password(password: str) -> str:
    return _current()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _current()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
