"""`Tenant.executiveReport`: the report's addresses for the months that have one."""

from __future__ import annotations

from app.api import ids
from app.months import add_months
from app.tenants.models import Role
from tests.reports.conftest import MONTH

REPORT = "query($id: ID!, $m: Month) { tenant(id: $id) { executiveReport(month: $m) { month htmlUrl pdfUrl pptxUrl } } }"


async def test_the_urls_open_the_report_with_the_same_header(api, demo):
    harbor, _, users = demo
    token = api.token(users[Role.CIO])
    found = (await api.data(REPORT, {"id": ids.encode("Tenant", harbor.id)}, token))["tenant"]["executiveReport"]
    public = api.services.settings.public_url
    assert found["month"] == f"{MONTH:%Y-%m}", "the last full month by default"
    assert [found[f"{e}Url"] for e in ("html", "pdf", "pptx")] == [
        f"{public}/reports/{ids.encode('Tenant', harbor.id)}/{MONTH:%Y-%m}.{e}" for e in ("html", "pdf", "pptx")]
    page = await api.http.get(found["htmlUrl"].removeprefix(public), headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "Harbor Dental Group" in page.text


async def test_a_month_without_a_score_has_no_report(api, demo):
    harbor, _, users = demo
    token = api.token(users[Role.CLIENT_EXECUTIVE])
    empty = await api.data(REPORT, {"id": ids.encode("Tenant", harbor.id), "m": f"{add_months(MONTH, -60):%Y-%m}"}, token)
    assert empty == {"tenant": {"executiveReport": None}}


async def test_an_api_key_is_told_reports_are_for_people(api, demo):
    harbor, _, users = demo
    key = (await api.data("mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
                          {"i": {"name": "reports", "tenantIds": [ids.encode("Tenant", harbor.id)]}},
                          api.token(users[Role.PRACTICE_ADMIN])))["createApiKey"]["key"]
    body = await api.post(REPORT, {"id": ids.encode("Tenant", harbor.id)}, key)
    assert body["data"] == {"tenant": {"executiveReport": None}}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
