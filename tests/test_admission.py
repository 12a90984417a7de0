"""Requests beyond the limit wait their turn (first come, first served) and are all answered;
health checks are never queued."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app import admission
from app.admission import AdmissionMiddleware


def held_app(limit: int):
    """An app whose /work requests hold until released, recording the order they started in."""
    started: list[str] = []
    release = asyncio.Event()

    async def work(request):
        started.append(request.query_params["n"])
        await release.wait()
        return PlainTextResponse("done " + request.query_params["n"])

    async def healthz(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/work", work), Route("/healthz", healthz)])
    app.add_middleware(AdmissionMiddleware, limit=limit)
    return app, started, release


async def settle():
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.mark.asyncio(loop_scope="session")
async def test_requests_over_the_limit_wait_in_order_and_are_all_answered():
    app, started, release = held_app(limit=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        requests = []
        for n in range(5):
            requests.append(asyncio.create_task(client.get("/work", params={"n": n})))
            await settle()
        assert started == ["0", "1"]  # two in progress, three waiting at the door
        health = await client.get("/healthz")  # not queued behind them
        assert health.status_code == 200
        release.set()
        answers = await asyncio.gather(*requests)
    assert [a.text for a in answers] == [f"done {n}" for n in range(5)]
    assert started == ["0", "1", "2", "3", "4"]  # admitted in the order they came


@pytest.mark.asyncio(loop_scope="session")
async def test_no_limit_admits_everything_at_once():
    app, started, release = held_app(limit=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        requests = [asyncio.create_task(client.get("/work", params={"n": n})) for n in range(5)]
        await settle()
        assert sorted(started) == ["0", "1", "2", "3", "4"]
        release.set()
        await asyncio.gather(*requests)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_failing_request_gives_its_place_back():
    async def boom(request):
        raise RuntimeError("handler failed")

    app = Starlette(routes=[Route("/boom", boom)])
    app.add_middleware(AdmissionMiddleware, limit=1)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        for _ in range(3):  # with the place not given back, the second would wait forever
            assert (await asyncio.wait_for(client.get("/boom"), 5)).status_code == 500


@pytest.mark.asyncio(loop_scope="session")
async def test_a_request_that_leaves_lets_the_next_in_while_it_still_waits():
    started, stored, held = [], asyncio.Event(), asyncio.Event()

    async def batched(request):  # as a webhook delivery waiting for the batch that stores it
        started.append(request.query_params["n"])
        admission.leave(request.scope)
        admission.leave(request.scope)  # leaving twice gives one place back, not two
        await stored.wait()
        return PlainTextResponse("stored")

    async def work(request):
        started.append("work")
        await held.wait()
        return PlainTextResponse("done")

    app = Starlette(routes=[Route("/batched", batched), Route("/work", work)])
    app.add_middleware(AdmissionMiddleware, limit=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        requests = []
        for n in range(3):
            requests.append(asyncio.create_task(client.get("/batched", params={"n": n})))
            await settle()
        assert started == ["0", "1", "2"]  # all waiting for the batch together, none at the door
        stored.set()
        assert [a.text for a in await asyncio.gather(*requests)] == ["stored"] * 3
        works = [asyncio.create_task(client.get("/work")) for _ in range(2)]
        await settle()
        assert started.count("work") == 1  # still one place: none was given back twice
        held.set()
        await asyncio.gather(*works)
