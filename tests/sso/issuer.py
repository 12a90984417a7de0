"""A small OpenID Connect issuer for the tests, served over HTTP on loopback by uvicorn in a thread.

It follows OpenID Connect Core and RFC 7636 as a real provider does: discovery, a JWKS with its
RSA key, an authorization endpoint that signs in whoever the test names (`Issuer.next`) and
redirects back with a single-use code, and a token endpoint that checks the client's credentials
(HTTP Basic), the redirect URI and the PKCE verifier before answering an ID token signed RS256.
`Forgery` makes it misbehave the ways an attacker's or a broken issuer's token would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

CLIENT_ID = "fcio-test-client"
CLIENT_SECRET = "s3cret-of-the-test-client"


@dataclass
class Forgery:
    """What the next ID token gets wrong: claims changed or added, or how it is signed."""

    claims: dict = field(default_factory=dict)
    signing: str = "good"  # good | other-key | none | hs256


@dataclass
class Login:
    email: str
    email_verified: bool = True
    forgery: Forgery = field(default_factory=Forgery)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        # Another key with the same kid: a token it signs names a key of the JWKS but does not verify.
        self.impostor = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
        self.next: Login | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests = 0
        self.metadata: dict = {}  # discovery fields to change (a broken or hostile provider)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning"))

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])

    async def discovery(self, request: Request) -> JSONResponse:
        return JSONResponse({
            "issuer": self.url, "authorization_endpoint": f"{self.url}/authorize", "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks", "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"], **self.metadata,
        })

    async def jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request):
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" \
                or not q.get("code_challenge") or "openid" not in q.get("scope", "").split():
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        login, self.next = self.next, None
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"login": login, "nonce": q.get("nonce"), "challenge": q["code_challenge"],
                            "redirect_uri": q["redirect_uri"]}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}", 302)

    async def token(self, request: Request) -> JSONResponse:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}  # application/x-www-form-urlencoded
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        granted = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        if granted is None or form.get("grant_type") != "authorization_code" \
                or form.get("redirect_uri") != granted["redirect_uri"] \
                or _b64(hashlib.sha256(verifier.encode()).digest()) != granted["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                             "id_token": self.id_token(granted["login"], granted["nonce"])})

    def id_token(self, login: Login, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "sub": hashlib.sha256(login.email.encode()).hexdigest()[:20], "aud": CLIENT_ID,
                  "iat": now, "exp": now + 300, "nonce": nonce, "email": login.email,
                  "email_verified": login.email_verified, **login.forgery.claims}
        signing = login.forgery.signing
        if signing == "none":
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        if signing == "hs256":  # keyed with the client secret, as a confused verifier might accept
            return jwt.encode({"alg": "HS256", "kid": "key-1"}, claims, OctKey.import_key(CLIENT_SECRET))
        key = self.impostor if signing == "other-key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "key-1"}, claims, key)

    def start(self) -> None:
        threading.Thread(target=self.server.run, daemon=True).start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("the test issuer did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
