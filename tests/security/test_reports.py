"""The executive report across tenants: every caller of the cast, every tenant it may not see, by
id and by link, answers the one 404 of a report that does not exist; its own report it reads."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest_asyncio
from sqlalchemy import select

from app.api import ids
from app.health.actions import score_batch
from app.reports import links
from app.tenants.models import Practice

MONTH = dt.date(2026, 1, 1)  # the month the cast's ticket figures are in
FIELD = "query($id: ID!) { tenant(id: $id) { executiveReport(month: \"2026-01\") { month htmlUrl pdfUrl pptxUrl } } }"


def path(tenant_id: uuid.UUID) -> str:
    return links.report_path(tenant_id, MONTH, "html")


async def get(gql, url: str, token: str | None = None):
    return await gql.http.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(cast, sessionmaker):
    """The cast's tenants scored for MONTH, so each has a report to leak; their practices' secrets."""
    tenants = {h.tenant.id: h.tenant for c in cast.callers for h in (c.home, *c.hidden)}
    await score_batch(sessionmaker, list(tenants), MONTH)
    async with sessionmaker() as s:
        return {t.id: await s.scalar(select(Practice.report_secret).where(Practice.id == t.practice_id))
                for t in tenants.values()}


async def test_no_caller_reads_a_report_it_may_not_see(gql, cast, scored):
    missing = await get(gql, path(uuid.uuid4()), cast.callers[0].token)
    assert missing.status_code == 404
    for caller in cast.callers:
        own = await get(gql, path(caller.home.tenant.id), caller.token)
        if caller.name == "key_a":
            assert own.content == missing.content, "API keys read no reports"
        else:
            assert own.status_code == 200 and caller.home.marker in own.text, caller.name
            assert not [h.marker for h in caller.hidden if h.marker in own.text]
        for hidden in caller.hidden:
            response = await get(gql, path(hidden.tenant.id), caller.token)
            assert (response.status_code, response.content, response.headers) == \
                (missing.status_code, missing.content, missing.headers), (caller.name, hidden.marker)


async def test_a_link_opens_its_own_tenant_s_report_and_no_other(gql, cast, scored):
    a1, a2, b1 = cast.a1, cast.a2, cast.b1
    missing = await get(gql, path(uuid.uuid4()), cast.callers[0].token)
    link = links.issue(scored[a1.tenant.id], a1.tenant.id, MONTH, "cfo@a1.example")
    assert (await gql.http.get(f"{path(a1.tenant.id)}?access={link}")).status_code == 200
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    attempts = [
        f"{path(a2.tenant.id)}?access={link}",  # the sibling's report with a1's link
        f"{path(b1.tenant.id)}?access={link}",  # another practice's
        f"{path(a1.tenant.id)}?access={links.issue(scored[b1.tenant.id], b1.tenant.id, MONTH, 'cfo@a1.example')}",
        f"{path(a1.tenant.id)}?access={links.issue(scored[b1.tenant.id], a1.tenant.id, MONTH, 'cfo@a1.example')}",
        f"{path(a1.tenant.id)}?access={links.issue(scored[a1.tenant.id], a1.tenant.id, MONTH, 'cfo@a1.example', old)}",
        f"{path(a1.tenant.id)}?access={link[:-2]}AA",
    ]
    for url in attempts:
        response = await gql.http.get(url)
        assert (response.status_code, response.content) == (missing.status_code, missing.content), url


async def test_the_field_shows_no_report_of_a_hidden_tenant(gql, cast, scored):
    for caller in cast.callers:
        own = await gql.post(FIELD, {"id": caller.home.gid}, caller.token)
        if caller.name == "key_a":
            assert own[1]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        else:
            assert own[1]["data"]["tenant"]["executiveReport"]["htmlUrl"].endswith(path(caller.home.tenant.id))
        for hidden in caller.hidden:
            assert await gql.post(FIELD, {"id": hidden.gid}, caller.token) == (200, {"data": {"tenant": None}})
        assert await gql.post(FIELD, {"id": ids.encode("Tenant", uuid.uuid4())}, caller.token) == (200, {"data": {"tenant": None}})
