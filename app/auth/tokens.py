"""JWT access tokens: HS256 with FCIO_SECRET_KEY, and nothing else accepted.

A token carries the user's session generation (`gen`) at issue: raising the user's generation
(app/accounts/sessions.py) ends every token issued before, checked where the principal is loaded
(app/auth/access.py) from the row that request reads anyway. A token without `gen` was issued
before generations existed, i.e. at generation 0.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

ISSUER = "fcio"
AUDIENCE = "fcio-api"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Claims:
    user_id: uuid.UUID
    generation: int


def issue(secret: str, user_id: uuid.UUID, ttl_seconds: int, now: float | None = None, generation: int = 0) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + ttl_seconds, "iss": ISSUER, "aud": AUDIENCE,
              "gen": generation}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def for_user(settings, user) -> str:
    """The access token login, an accepted invitation and a reset hand out: the user's current generation."""
    return issue(settings.secret_key, user.id, settings.token_ttl_seconds, generation=user.session_generation)


def verify(secret: str, token: str) -> Claims | None:
    """The claims of a valid token, or None (bad signature, algorithm, audience, issuer, expiry)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        generation = claims.get("gen", 0)
        if type(generation) is not int:
            return None
        return Claims(uuid.UUID(claims["sub"]), generation)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
