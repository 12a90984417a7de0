"""The OpenID Connect authorization code flow with PKCE (S256), state and nonce.

`start` reads the practice's provider, fetches the issuer's metadata (discovery), keeps the
state, nonce and PKCE verifier in Redis under the state (10 minutes, taken once with GETDEL: a
replayed or made-up state finds nothing) and answers the authorization URL. `finish` takes the
state back, exchanges the code at the token endpoint (client secret by HTTP Basic, the verifier),
verifies the ID token with joserfc (a signature by a key of the issuer's JWKS, asymmetric
algorithms only, so an unsigned `none` token or an HMAC one keyed with something public fails;
then issuer, audience, expiry and nonce), requires `email_verified` and an allowed domain, and
finds the enabled user of THAT practice with that email. Every refusal is an `SsoRefused` with a
reason the endpoint shows; nothing is written but the audit event of a sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import invitations
from app.errors import Conflict
from app.integrations.secrets import decrypt
from app.settings import Settings
from app.sso.actions import reachable
from app.sso.models import OidcProvider
from app.tenants.models import Practice, User

STATE_SECONDS = 600
HTTP_TIMEOUT_SECONDS = 10
CLOCK_LEEWAY_SECONDS = 60
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
SCOPE = "openid email profile"


class SsoRefused(Exception):
    """The sign-in cannot go on: `status` is the HTTP answer, `reason` says why (shown to the user)."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


@dataclass(frozen=True)
class Metadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def _state_key(state: str) -> str:
    return f"fcio:oidc:state:{state}"


def redirect_uri(settings: Settings, slug: str) -> str:
    return f"{settings.public_url.rstrip('/')}/auth/oidc/{slug}/callback"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _provider(session: AsyncSession, slug: str) -> tuple[Practice, OidcProvider]:
    practice = await session.scalar(select(Practice).where(Practice.slug == slug))
    provider = await session.get(OidcProvider, practice.id) if practice else None
    if provider is None:
        raise SsoRefused(404, "NOT_FOUND", "This practice has no single sign-on.")
    return practice, provider


async def _json(http: httpx.AsyncClient, method: str, url: str, **kwargs) -> dict:
    try:
        response = await http.request(method, url, **kwargs)
        body = response.json()
    except (httpx.HTTPError, ValueError):
        raise SsoRefused(502, "PROVIDER_UNAVAILABLE", f"The identity provider did not answer at {url}.") from None
    if response.status_code != 200 or not isinstance(body, dict):
        raise SsoRefused(502, "PROVIDER_REFUSED", f"The identity provider answered {response.status_code} at {url}.")
    return body


async def discover(http: httpx.AsyncClient, settings: Settings, issuer: str) -> Metadata:
    """The issuer's metadata; it must name the configured issuer exactly (OpenID Connect Discovery
    4.3), and endpoints fcio may call (app/sso/actions.py `reachable`)."""
    meta = await _json(http, "GET", f"{issuer}/.well-known/openid-configuration")
    names = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if meta.get("issuer") != issuer or not all(isinstance(meta.get(n), str) and reachable(settings, meta[n]) for n in names):
        raise SsoRefused(502, "PROVIDER_MISCONFIGURED", "The identity provider's metadata does not match its issuer.")
    return Metadata(*(meta[n] for n in names))


async def start(session: AsyncSession, redis, http: httpx.AsyncClient, settings: Settings, slug: str) -> str:
    """The identity provider's authorization URL for a new sign-in to the practice `slug`."""
    practice, provider = await _provider(session, slug)
    meta = await discover(http, settings, provider.issuer)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    kept = json.dumps({"practice_id": str(practice.id), "nonce": nonce, "verifier": verifier})
    try:
        await redis.set(_state_key(state), kept, ex=STATE_SECONDS)
    except (RedisError, OSError):
        raise SsoRefused(503, "UNAVAILABLE", "Single sign-on is unavailable for a moment. Try again shortly.") from None
    query = urlencode({
        "response_type": "code", "client_id": provider.client_id, "redirect_uri": redirect_uri(settings, slug),
        "scope": SCOPE, "state": state, "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()), "code_challenge_method": "S256",
    })
    return f"{meta.authorization_endpoint}{'&' if '?' in meta.authorization_endpoint else '?'}{query}"


async def _take_state(redis, state: str | None) -> dict:
    """The flow the state was issued for, taken once; a replayed, expired or made-up state: refused."""
    try:
        kept = await redis.getdel(_state_key(state)) if state else None
    except (RedisError, OSError):
        raise SsoRefused(503, "UNAVAILABLE", "Single sign-on is unavailable for a moment. Try again shortly.") from None
    if kept is None:
        raise SsoRefused(400, "INVALID_STATE", "This sign-in link was used already or has expired. Start again.")
    return json.loads(kept)


def verify_id_token(id_token: str, keys: dict, issuer: str, client_id: str, nonce: str, now: float | None = None) -> dict:
    """The claims of an ID token signed by one of `keys` (a JWKS) for this client, issuer and nonce."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=list(SIGNING_ALGORITHMS))
        jwt.JWTClaimsRegistry(
            now=int(now if now is not None else time.time()), leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
            nonce={"essential": True, "value": nonce}, exp={"essential": True}, sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SsoRefused(401, "INVALID_ID_TOKEN", f"The identity provider's ID token is not valid ({error}).") from None
    return token.claims


async def finish(session: AsyncSession, redis, http: httpx.AsyncClient, settings: Settings, slug: str,
                 code: str | None, state: str | None) -> User:
    """The user the identity provider vouches for, after every check of the module docstring."""
    flow = await _take_state(redis, state)
    practice, provider = await _provider(session, slug)
    if str(practice.id) != flow["practice_id"]:
        raise SsoRefused(400, "INVALID_STATE", "This sign-in was started for another practice. Start again.")
    if not code:
        raise SsoRefused(400, "NO_CODE", "The identity provider sent no authorization code.")
    meta = await discover(http, settings, provider.issuer)
    answer = await _json(http, "POST", meta.token_endpoint, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(settings, slug),
        "code_verifier": flow["verifier"],
    }, auth=(provider.client_id, decrypt(settings.secret_key, provider.client_secret_encrypted)))
    if not isinstance(answer.get("id_token"), str):
        raise SsoRefused(502, "PROVIDER_REFUSED", "The identity provider's token answer has no ID token.")
    keys = await _json(http, "GET", meta.jwks_uri)
    claims = verify_id_token(answer["id_token"], keys, provider.issuer, provider.client_id, flow["nonce"])
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or "@" not in email:
        raise SsoRefused(403, "EMAIL_NOT_VERIFIED", "The identity provider did not vouch for an email address.")
    email = email.strip().lower()
    if email.rsplit("@", 1)[1] not in provider.allowed_domains:
        raise SsoRefused(403, "DOMAIN_NOT_ALLOWED", "This practice's single sign-on does not take addresses of that domain.")
    user = await session.scalar(select(User).where(User.email == email, User.practice_id == practice.id,
                                                   User.disabled_at.is_(None)))
    if user is None:
        try:
            user = await invitations.join_by_sign_on(session, practice.id, email)
        except Conflict as error:
            raise SsoRefused(409, "CONFLICT", str(error)) from None
    if user is None:
        raise SsoRefused(403, "NO_ACCOUNT", f"{email} has no account in this practice. Ask an admin to invite you.")
    return user
