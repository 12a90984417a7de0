"""The HTML report in a real browser: headless Chromium loads it from the API over loopback.

The API is the suite's production app served by uvicorn on a loopback port in the test's own
event loop (its database connections belong to that loop). Without Chromium these tests skip,
naming the package to install; everything else in the suite still runs.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy import select

from app.api import ids
from app.months import add_months
from app.reports import links
from app.tenants.models import Practice, Role
from tests.reports import browser
from tests.reports.conftest import MONTH
from tests.reports.test_endpoint import HOSTILE, hostile  # noqa: F401 -- the attacker's tenant fixture

pytestmark = pytest.mark.skipif(browser.executable() is None, reason=browser.MISSING)

FIGURES = "query($id: ID!, $from: Month!, $m: Month!) { tenant(id: $id) { health(month: $m) { score } ticketMetrics(from: $from, to: $m) { total } } }"
BARS = "document.querySelectorAll('#tickets rect.bar').length"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def served(asgi_app):
    """The API's base URL on a loopback port, for the browser."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(asgi_app, lifespan="off", log_level="warning", access_log=False))
    listener.listen(64)  # connections wait in the backlog until the server accepts them
    running = asyncio.create_task(server.serve(sockets=[listener]))
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    await running


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def chromium():
    async with browser.chromium(browser.executable()) as running:
        yield running


async def test_an_executive_sees_the_report_as_it_is_meant(api, demo, served, chromium, tmp_path):
    harbor, _, users = demo
    url = served + links.report_path(harbor.id, MONTH, "html")
    page = await chromium.open(url, {"Authorization": f"Bearer {api.token(users[Role.CLIENT_EXECUTIVE])}"})
    shot = await chromium.screenshot(page)
    await asyncio.to_thread((tmp_path / "report.png").write_bytes, shot)  # to look at when it fails
    months_with_tickets = await chromium.evaluate(page, BARS)
    shown = (await api.data(users[Role.CLIENT_EXECUTIVE], FIGURES, {
        "id": ids.encode("Tenant", harbor.id), "from": f"{add_months(MONTH, -11):%Y-%m}", "m": f"{MONTH:%Y-%m}"}))["tenant"]

    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000
    assert await chromium.evaluate(page, "document.querySelector('#tenant').textContent") == "Harbor Dental Group"
    assert await chromium.evaluate(page, "document.querySelector('#score').textContent") == str(shown["health"]["score"])
    assert months_with_tickets == len([m for m in shown["ticketMetrics"] if m["total"] is not None]) >= 11
    assert await chromium.evaluate(page, "getComputedStyle(document.querySelector('h1')).fontSize") == "26px", \
        "the style sheet applies under the Content-Security-Policy"
    assert page.errors == []
    assert page.requests == [url], "the page loads nothing beyond itself"


async def test_an_attack_in_a_risk_title_does_not_run(hostile, served, chromium, api):  # noqa: F811
    tenant, _ = hostile
    async with api.services.sessionmaker() as s:
        secret = await s.scalar(select(Practice.report_secret).where(Practice.id == tenant.practice_id))
    url = served + links.report_url("", tenant.id, MONTH, "html", links.issue(secret, tenant.id, MONTH, "cfo@example.com"))
    page = await chromium.open(url)

    assert await chromium.evaluate(page, "window.__xss === undefined")
    assert await chromium.evaluate(page, "document.querySelectorAll('script, img').length") == 0
    text = await chromium.evaluate(page, "document.body.innerText")
    assert all(title in text for title in HOSTILE)
    assert page.errors == [] and page.requests == [url]
