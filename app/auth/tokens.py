"""JWT access tokens: HS256 with FCIO_SECRET_KEY, and nothing else accepted.

A token carries the user's session generation (`gen`) at issue: raising the user's generation
(app/accounts/sessions.py) ends every token issued before, checked where the principal is loaded
(app/auth/access.py) from the row that request reads anyway. A token without `gen` was issued
before generations existed, i.e. at generation 0.

A token may carry a `scope`: ENROLL marks one good only for enrolling in two-factor sign-in (its
user's practice requires it of their role and they have not enrolled, app/auth/enrollment.py).

A token once verified is remembered with its expiry (up to VERIFIED_MAX of them): checking the signature and the
claims again costs about 0.1 ms, a few per cent of a stored answer's request, and every request of
a signed-in user brings the same token again. Only valid tokens are kept, so forged ones cannot
fill it; what the claims cannot know (a raised generation, a disabled user) is checked per request
where the principal is loaded, as before.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

ISSUER = "fcio"
AUDIENCE = "fcio-api"
ALGORITHM = "HS256"
ENROLL = "totp-enroll"
VERIFIED_MAX = 4096  # tokens remembered per process: more than the users signed in to one API process


@dataclass(frozen=True)
class Claims:
    user_id: uuid.UUID
    generation: int
    scope: str | None = None


def issue(secret: str, user_id: uuid.UUID, ttl_seconds: int, now: float | None = None, generation: int = 0,
          scope: str | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + ttl_seconds, "iss": ISSUER, "aud": AUDIENCE,
              "gen": generation}
    if scope is not None:
        claims["scope"] = scope
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def for_user(settings, user, enroll_only: bool = False) -> str:
    """The access token a sign-in hands out (a password, an accepted invitation, a reset, single
    sign-on): the user's current generation, and ENROLL when it is good only for enrolling."""
    return issue(settings.secret_key, user.id, settings.token_ttl_seconds, generation=user.session_generation,
                 scope=ENROLL if enroll_only else None)


_verified: dict[tuple[str, str], tuple[Claims, int]] = {}  # (secret, token) -> (claims, exp)


def verify(secret: str, token: str) -> Claims | None:
    """The claims of a valid token, or None (bad signature, algorithm, audience, issuer, expiry)."""
    key = (secret, token)
    known = _verified.get(key) or _checked(secret, token)
    if known is None:
        return None
    claims, expires = known
    if time.time() >= expires:  # PyJWT's own rule: expired once exp <= now
        _verified.pop(key, None)
        return None
    if key not in _verified:
        if len(_verified) >= VERIFIED_MAX:
            del _verified[next(iter(_verified))]  # the oldest remembered
        _verified[key] = known
    return claims


def _checked(secret: str, token: str) -> tuple[Claims, int] | None:
    """Every check of the token itself: its claims and expiry, or None."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        generation, scope = claims.get("gen", 0), claims.get("scope")
        if type(generation) is not int or not (scope is None or isinstance(scope, str)):
            return None
        return Claims(uuid.UUID(claims["sub"]), generation, scope), claims["exp"]
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
