"""JWT access tokens: HS256 with FCIO_SECRET_KEY, and nothing else accepted.

A token may carry a `scope`: ENROLL marks one good only for enrolling in two-factor sign-in (its
user's practice requires it of their role and they have not enrolled, app/auth/enrollment.py).
"""

from __future__ import annotations

import time
import uuid

import jwt

ISSUER = "fcio"
AUDIENCE = "fcio-api"
ALGORITHM = "HS256"
ENROLL = "totp-enroll"


def issue(secret: str, user_id: uuid.UUID, ttl_seconds: int, now: float | None = None, scope: str | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + ttl_seconds, "iss": ISSUER, "aud": AUDIENCE}
    if scope is not None:
        claims["scope"] = scope
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> tuple[uuid.UUID, str | None] | None:
    """The user id and scope of a valid token, or None (bad signature, algorithm, audience, issuer, expiry)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        return uuid.UUID(claims["sub"]), claims.get("scope")
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
