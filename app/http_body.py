"""Reading a request body with a limit, for every endpoint that takes one (GraphQL, PSA webhooks).

The limit is checked while reading, not after: a declared length over it is refused before a
byte is read, and a chunked body stops being read one chunk past the limit, so no endpoint ever
buffers a huge body.
"""

from __future__ import annotations

from starlette.requests import Request

MAX_BODY = 1024 * 1024


async def read_limited(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """The body, or None as soon as it exceeds `limit` bytes (at most limit + one chunk is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
