"""Password hashing (argon2id). A dummy hash is verified for unknown emails so timing does not tell."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import Invalid

MIN_LENGTH = 10

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not-a-real-password")


def check_password(password: str | None) -> str:
    """The password rule, one for every path that sets one (createUser, an invitation, a reset)."""
    if len(password or "") < MIN_LENGTH:
        raise Invalid(f"password must be at least {MIN_LENGTH} characters.", ["password"])
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
