"""`POST /integrations/{integration_id}/webhook`: where the PSAs deliver ticket events.

The answer comes fast and never depends on processing: 404 for an unknown or disabled
integration, 429 over the integration's rate, 413 for a body over 1 MiB (read with a limit, so
a huge body is never buffered), 401 when authentication fails (the delivery is stored as
rejected) and 202 once the delivery is stored and its processing queued.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse

from app import admission
from app.auth import ratelimit
from app.http_body import MAX_BODY, read_limited
from app.integrations import actions
from app.services import Services


def answer(status_code: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"status": message}, status_code=status_code, headers=headers or None)


async def webhook(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    try:
        integration_id = uuid.UUID(request.path_params["integration_id"])
    except ValueError:
        return answer(404, "not found")
    integration = await actions.enabled_integration(services.sessionmaker, integration_id)
    if integration is None:
        return answer(404, "not found")
    wait = await ratelimit.hit(services.redis, f"integration:{integration.id}", actions.rate_limit_per_minute(integration), 60)
    if wait:
        return answer(429, "too many requests", **{"Retry-After": str(wait)})
    body = await read_limited(request)
    if body is None:
        return answer(413, f"body over {MAX_BODY} bytes")
    admission.leave(request.scope)  # what is left is waiting for the batch that stores the delivery
    receipt = await actions.receive_delivery(services, integration, request.headers, body)
    return answer(receipt.status_code, "accepted" if receipt.status_code == 202 else "unauthorized")
