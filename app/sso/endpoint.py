"""`GET /auth/oidc/{practiceSlug}/login` and `.../callback`: single sign-on in the browser.

`login` answers 302 to the identity provider; `callback` answers 302 to the web client with the
access token in the URL fragment (`{FCIO_APP_URL}/signed-in#token=...`: a fragment never reaches
a server's logs), or a 4xx JSON body `{"error": CODE, "message": ...}` saying why not. Starting a
sign-in is limited per client address (each start keeps a state in Redis for 10 minutes).
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.accounts.sessions import record_for_account
from app.auth import ratelimit, tokens
from app.db.scope import tenant_session
from app.services import Services
from app.sso import flow

STARTS_PER_MINUTE = 30


def refused(error: flow.SsoRefused) -> Response:
    return JSONResponse({"error": error.code, "message": error.reason}, status_code=error.status)


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=flow.HTTP_TIMEOUT_SECONDS, follow_redirects=False)


async def oidc_login(request: Request) -> Response:
    services: Services = request.app.state.services
    address = request.client.host if request.client else ""
    wait = await ratelimit.hit(services.redis, f"oidc:addr:{address}", STARTS_PER_MINUTE, 60)
    if wait:
        return JSONResponse({"error": "LIMIT", "message": f"Too many sign-ins started. Retry in {wait} s."},
                            status_code=429, headers={"Retry-After": str(wait)})
    try:
        async with tenant_session(services.sessionmaker, ()) as session, client() as http:
            url = await flow.start(session, services.redis, http, services.settings, request.path_params["slug"])
    except flow.SsoRefused as error:
        return refused(error)
    return RedirectResponse(url, status_code=302)


async def oidc_callback(request: Request) -> Response:
    services: Services = request.app.state.services
    settings = services.settings
    if "error" in request.query_params:  # the identity provider's own refusal (RFC 6749 4.1.2.1)
        return refused(flow.SsoRefused(401, "PROVIDER_REFUSED",
                                       f"The identity provider refused: {request.query_params['error'][:100]}."))
    try:
        async with tenant_session(services.sessionmaker, ()) as session, client() as http:
            user = await flow.finish(session, services.redis, http, settings, request.path_params["slug"],
                                     request.query_params.get("code"), request.query_params.get("state"))
            await record_for_account(session, None, user.id, "user.sso_sign_in", {"method": "oidc"})
    except flow.SsoRefused as error:
        return refused(error)
    # The identity provider's own second factor counts: no TOTP code is asked (README).
    fragment = urlencode({"token": tokens.for_user(settings, user)})
    return RedirectResponse(f"{settings.app_url.rstrip('/')}/signed-in#{fragment}", status_code=302,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
