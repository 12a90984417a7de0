"""Where the slowest path spends its time: pyinstrument over the app in process (no HTTP server).

The same requests as the load runs, through the same ASGI app, so the profile shows the API's
own work (parsing, resolvers, SQLAlchemy, asyncpg waits) without the network or the event loop
of another process in the way.
"""

from __future__ import annotations

import httpx
from pyinstrument import Profiler

from app.bench import workloads
from app.bench.processes import API_SERVERS
from app.services import Services
from app.settings import get_settings
from app.web import create_app

BASE = "http://bench/graphql"


async def profile(path: str, server: str, actors, size, month, requests: int) -> str:
    """`requests` of `path`, on an app with the settings of the API process that serves it (`server`)."""
    settings = get_settings().model_copy(update=API_SERVERS[server])
    services = await Services.start(settings)
    try:
        app = create_app(settings, services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=60) as client:
            async def post(body, headers):
                response = await client.post(BASE, content=body, headers=headers)
                response.raise_for_status()

            login = {"content-type": "application/json"}
            tokens = {}
            for email in actors.emails():
                body = workloads.login_body(email, actors.password)
                tokens[email] = (await client.post(BASE, content=body, headers=login)).json()["data"]["login"]["accessToken"]
            _, make = workloads.reads(actors, size, month, tokens.__getitem__, peer=False)[path]
            for _ in range(3):
                await post(*make(0))
            profiler = Profiler(async_mode="enabled", interval=0.0005)
            profiler.start()
            for _ in range(requests):
                await post(*make(0))
            profiler.stop()
        seconds = profiler.last_session.duration
        flat = profiler.output_text(unicode=False, color=False, flat=True, time="percent_of_total")
        body = [line for line in flat.splitlines() if line.strip()][5:40]
        return "\n".join([f"{requests} requests, {seconds / requests * 1000:.1f} ms each in process; "
                          "self time by function, top 35:", *body])
    finally:
        await services.close()
