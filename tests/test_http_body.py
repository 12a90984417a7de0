"""The one body reader every endpoint uses: refused over the limit, declared or streamed, whole below it."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from app.http_body import read_limited

pytestmark = pytest.mark.asyncio(loop_scope="session")
LIMIT = 1000


async def echo(request):
    body = await read_limited(request, LIMIT)
    return Response(status_code=413) if body is None else Response(str(len(body)))


def client() -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/", echo, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def chunks(total: int, size: int = 300):
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


async def test_a_body_at_the_limit_is_read_whole():
    async with client() as http:
        assert (await http.post("/", content=b"x" * LIMIT)).text == str(LIMIT)
        assert (await http.post("/", content=chunks(LIMIT))).text == str(LIMIT)


async def test_a_body_over_the_limit_is_refused_declared_or_streamed():
    async with client() as http:
        assert (await http.post("/", content=b"x" * (LIMIT + 1))).status_code == 413
        assert (await http.post("/", content=chunks(LIMIT + 1))).status_code == 413
