"""`GET /reports/{tenantId}/{month}.{ext}`: the report for whoever may read it, one 404 for everyone else."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import select

from app.api import ids
from app.health.actions import score_batch
from app.months import add_months
from app.reports import links
from app.reports.html import STYLE_HASH
from app.risks.actions import create_risk
from app.risks.models import RiskCategory
from app.tenants.models import Practice, Role
from tests.reports.conftest import MONTH

HOSTILE = ("<script>window.__xss=1</script>", "<img src=x onerror=\"window.__xss=2\">", "{{ 7*7 }}")


def path(tenant_id, month=MONTH, extension="html") -> str:
    return links.report_path(tenant_id, month, extension)


async def get(api, url: str, token: str | None = None):
    return await api.http.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


async def secret(api, tenant) -> str:
    async with api.services.sessionmaker() as s:
        return await s.scalar(select(Practice.report_secret).where(Practice.id == tenant.practice_id))


@pytest.fixture
async def hostile(api, world):
    """A scored tenant of its own whose risks are titled as attacks, and its CIO."""
    practice = await world.practice()
    tenant = await world.tenant(practice, name="Hostile <b>Tenant</b> & Co")
    for n, title in enumerate(HOSTILE):
        await api.act(tenant, create_risk, title=title, category=RiskCategory.SECURITY, likelihood=5 - n, impact=4,
                      owner=title)
    await score_batch(api.services.sessionmaker, [tenant.id], MONTH)
    return tenant, await world.user(practice, Role.CIO, [tenant])


async def test_each_reader_gets_the_page_with_strict_headers(api, demo):
    harbor, _, users = demo
    for role in (Role.PRACTICE_ADMIN, Role.CIO, Role.CLIENT_EXECUTIVE):
        response = await get(api, path(harbor.id), api.token(users[role]))
        assert response.status_code == 200, (role, response.text[:300])
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "Harbor Dental Group" in response.text and "No health score" not in response.text
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and f"style-src '{STYLE_HASH}'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "content-disposition" not in response.headers
    assert not re.search(r"<script|https?://|src=|href=", response.text), "the page loads nothing and runs nothing"


async def test_every_text_a_user_typed_is_escaped(api, hostile):
    tenant, cio = hostile
    page = (await get(api, path(tenant.id), api.token(cio))).text
    assert "Hostile &lt;b&gt;Tenant&lt;/b&gt; &amp; Co" in page and "<b>Tenant" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page and "<script" not in page
    assert "&lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;" in page and "<img" not in page
    assert "{{ 7*7 }}" in page


async def test_everyone_else_gets_the_one_not_found(api, demo, world):
    """Unknown, unseen, malformed, an API key, a month without a score: the same bytes."""
    harbor, tenants, users = demo
    executive, admin = api.token(users[Role.CLIENT_EXECUTIVE]), api.token(users[Role.PRACTICE_ADMIN])
    other = next(t for t in tenants if t.id != harbor.id)
    stranger = api.token(await world.user(await world.practice(), Role.PRACTICE_ADMIN))
    key = (await api.data("mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
                          {"i": {"name": "report probe", "tenantIds": [ids.encode("Tenant", harbor.id)]}}, admin))
    gid = ids.encode("Tenant", harbor.id)
    attempts = [
        (path(uuid.uuid4()), admin),
        (path(other.id), executive),
        (path(harbor.id), stranger),
        (path(harbor.id), key["createApiKey"]["key"]),
        (path(harbor.id, add_months(MONTH, -60)), admin),
        (path(harbor.id, extension="exe"), admin),
        (path(harbor.id, extension="HTML"), admin),
        (f"/reports/{gid}/2026-13.html", admin),
        (f"/reports/{gid}/{MONTH:%Y-%m}", admin),
        (f"/reports/{ids.encode('Risk', harbor.id, harbor.id)}/{MONTH:%Y-%m}.html", admin),
        ("/reports/not-an-id/2026-01.html", admin),
    ]
    answers = {url: await get(api, url, token) for url, token in attempts}
    bodies = {(r.status_code, r.content, r.headers["content-security-policy"]) for r in answers.values()}
    assert len(bodies) == 1, {url: (r.status_code, r.text[:100]) for url, r in answers.items()}
    assert answers[path(other.id)].status_code == 404


async def test_signing_in_is_asked_for_whatever_the_path(api, demo):
    harbor, _, _ = demo
    for url in (path(harbor.id), path(uuid.uuid4())):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
            response = await api.http.get(url, headers=headers)
            assert response.status_code == 401 and response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert response.headers["www-authenticate"] == "Bearer"


async def test_a_mailed_link_opens_that_report_only_until_it_expires_or_the_secret_rotates(api, demo):
    harbor, tenants, users = demo
    other = next(t for t in tenants if t.id != harbor.id)
    key = await secret(api, harbor)
    token = links.issue(key, harbor.id, MONTH, "Owner@Harbor.example")
    assert links.verify(key, harbor.id, MONTH, token) == "owner@harbor.example"
    opened = await api.http.get(f"{path(harbor.id)}?access={token}")
    assert opened.status_code == 200 and "Harbor Dental Group" in opened.text

    expires, recipient, mac = token.split(".")
    month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=links.LINK_DAYS, seconds=1)
    refused = [
        f"{path(other.id)}?access={token}",  # moved to another tenant
        f"{path(harbor.id, add_months(MONTH, -1))}?access={token}",  # to another month
        f"{path(harbor.id)}?access={int(expires) + 86400}.{recipient}.{mac}",  # a longer life
        f"{path(harbor.id)}?access={expires}.{links.b64(b'someone@else.example')}.{mac}",  # another recipient
        f"{path(harbor.id)}?access={links.issue(key, harbor.id, MONTH, 'x@y.example', month_ago)}",  # expired
        f"{path(harbor.id)}?access={links.issue(await secret(api, other), other.id, MONTH, 'x@y.example')}",
        f"{path(harbor.id)}?access={links.issue('00' * 32, harbor.id, MONTH, 'x@y.example')}",  # guessed secret
        f"{path(harbor.id)}?access=",
        f"{path(harbor.id)}?access={'A' * 4000}",
        f"{path(harbor.id)}?access=1.2.3",
        f"{path(uuid.uuid4())}?access={token}",
    ]
    answers = [await api.http.get(url) for url in refused]
    assert {(r.status_code, r.content) for r in answers} == {(404, (await get(api, path(uuid.uuid4()), api.token(users[Role.PRACTICE_ADMIN]))).content)}

    async with api.services.sessionmaker() as s, s.begin():
        practice = await s.get(Practice, harbor.practice_id)
        assert await links.rotate_secret(s, practice.name)
    assert (await api.http.get(f"{path(harbor.id)}?access={token}")).status_code == 404
    fresh = links.issue(await secret(api, harbor), harbor.id, MONTH, "owner@harbor.example")
    assert (await api.http.get(f"{path(harbor.id)}?access={fresh}")).status_code == 200


async def test_a_link_reads_as_an_executive_of_that_tenant_only(api, demo):
    """What it opens is what the tenant's executive reads, no more."""
    harbor, _, users = demo
    token = links.issue(await secret(api, harbor), harbor.id, MONTH, "owner@harbor.example")
    by_link = (await api.http.get(f"{path(harbor.id)}?access={token}")).text
    by_executive = (await get(api, path(harbor.id), api.token(users[Role.CLIENT_EXECUTIVE]))).text
    assert by_link == by_executive


async def test_the_pdf_and_the_deck_are_downloads_of_the_same_report(api, demo):
    """The same tenant and month as the page, as files: the PDF's text and the deck's slides open."""
    harbor, _, users = demo
    token = api.token(users[Role.CLIENT_EXECUTIVE])
    pdf = await get(api, path(harbor.id, extension="pdf"), token)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment") and pdf.content.startswith(b"%PDF")
    assert "Harbor Dental Group" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    deck = await get(api, path(harbor.id, extension="pptx"), token)
    assert deck.status_code == 200 and deck.headers["content-disposition"].startswith("attachment")
    slides = Presentation(io.BytesIO(deck.content)).slides
    assert any("Harbor Dental Group" in shape.text_frame.text for shape in slides[0].shapes if shape.has_text_frame)
    other = next(t for t in demo[1] if t.id != harbor.id)
    for extension in ("pdf", "pptx"):
        assert (await get(api, path(other.id, extension=extension), token)).status_code == 404
