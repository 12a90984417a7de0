"""`GET /reports/{tenantId}/{month}.{ext}`: the executive report of one tenant and month, as a file.

The reader is the caller of `Authorization: Bearer` (a signed-in user: practice admin, CIO or
client executive, each for the tenants they see) or the mailed link's `?access=` token
(app/reports/links.py). A request without either, or with a bearer token that is not valid
(expired, revoked, a disabled user), is 401: what GraphQL answers it, whatever the path. Everything else that does not end in a
report is one 404, byte for byte: a malformed id, month or extension, a tenant that does not
exist or that the reader may not see, an API key, a bad, expired or moved link, and a month
without a health score (GraphQL's `Tenant.executiveReport` is null for it too). Every answer
carries the strict headers below; the HTML page needs nothing the policy does not allow.
"""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from app.api import ids
from app.api.compiled import run
from app.api.http import problem
from app.auth import access
from app.auth.principal import Principal
from app.db.outage import database_unavailable
from app.db.scope import set_tenants
from app.errors import NotFound
from app.months import MONTH_RE, parse_month
from app.reports import formats, links
from app.reports.gather import gather
from app.reports.html import CONTENT_SECURITY_POLICY

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}
NOT_FOUND = orjson.dumps({"errors": [{"message": "Report not found.", "extensions": {"code": "NOT_FOUND"}}]})
SIGN_IN = "Sign in: send `Authorization: Bearer <token>` (see the login mutation), or open the link the report was mailed with."


def not_found() -> Response:
    return Response(NOT_FOUND, 404, HEADERS, media_type="application/json")


def requested(tenant: str, file: str) -> tuple[uuid.UUID, dt.date, str] | None:
    """The tenant, month and extension a path names, or None when it names no report."""
    key = ids.decode_as(tenant, "Tenant")
    month, _, extension = file.partition(".")
    if key is None or not MONTH_RE.match(month) or extension not in formats.FORMATS:
        return None
    return key.id, parse_month(month), extension


class SignedOut(Exception):
    """No link and no valid bearer token: 401."""


async def reader(request: Request, session, tenant_id: uuid.UUID, month: dt.date) -> Principal | None:
    """Whom the request reads the report as, its transaction's scope set to exactly that, and its
    plans generic (`scope.GENERIC_PLANS`, set by the statement that finds the reader); None: 404.
    A link decides alone when given; a bearer must be a user (API keys read no reports). Generic
    plans only where the compiled statement answers (`run.generic_plans_here`)."""
    generic = await run.generic_plans_here(session)
    token = request.query_params.get("access")
    if token is not None:
        principal = await links.reader(session, tenant_id, month, token, generic_plans=generic)
        await set_tenants(session, *(principal.scope() if principal else ((), None)))
        return principal
    principal = await access.resolve(session, request.app.state.services.settings.secret_key,
                                     request.headers.get("authorization"), rosters=request.app.state.rosters,
                                     generic_plans=generic)
    if principal is None:
        raise SignedOut
    return principal if principal.kind == "user" else None


async def report(request: Request) -> Response:
    found = requested(request.path_params["tenant"], request.path_params["file"])
    if found is None:
        return not_found()
    tenant_id, month, extension = found
    services = request.app.state.services
    try:
        async with services.sessionmaker() as session, session.begin():
            principal = await reader(request, session, tenant_id, month)
            if principal is None:
                return not_found()
            try:
                content = await gather(services, session, request.app.state.schema, principal, tenant_id, month,
                                       request.app.state.compilations, planned=True)
            except NotFound:
                return not_found()
    except SignedOut:
        return problem(401, SIGN_IN, "UNAUTHENTICATED", {**HEADERS, "WWW-Authenticate": "Bearer"})
    except (SQLAlchemyError, OSError) as error:
        if not database_unavailable(error):
            raise
        return problem(503, "The database is unavailable. Retry shortly.", "UNAVAILABLE", {**HEADERS, "Retry-After": "2"})
    if content.score is None:
        return not_found()
    chosen = formats.FORMATS[extension]
    body = await run_in_threadpool(formats.render, content, extension) if chosen.in_thread else formats.render(content, extension)
    headers = dict(HEADERS)
    if not chosen.inline:
        headers["Content-Disposition"] = f'attachment; filename="{formats.file_name(content, extension)}"'
    return Response(body, 200, headers, media_type=chosen.media_type)
