"""JWT access tokens: HS256 with FCIO_SECRET_KEY, and nothing else accepted."""

from __future__ import annotations

import time
import uuid

import jwt

ISSUER = "fcio"
AUDIENCE = "fcio-api"
ALGORITHM = "HS256"


def issue(secret: str, user_id: uuid.UUID, ttl_seconds: int, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + ttl_seconds, "iss": ISSUER, "aud": AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> uuid.UUID | None:
    """The user id of a valid token, or None (bad signature, algorithm, audience, issuer, expiry)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        return uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
