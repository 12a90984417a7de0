"""The portfolio's own figures: high risks counted as the formula counts them, the default month in UTC."""

from __future__ import annotations

import pytest

from app.months import last_full_month, month_label
from app.tenants.models import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")

CREATE = "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id } userErrors { code } } }"
UPDATE = "mutation($i: UpdateRiskInput!) { updateRisk(input: $i) { risk { status } userErrors { code } } }"


async def test_open_high_risks_are_the_formulas_high_and_critical(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    token = await api.login((await world.user(practice, Role.CIO, [tenant])).email)
    gid = (await api.data("{ tenants { nodes { id } } }", token=token))["tenants"]["nodes"][0]["id"]
    made = {}
    for title, likelihood, impact in [("nine", 3, 3), ("ten", 2, 5), ("twelve", 3, 4), ("critical", 5, 5), ("accepted", 4, 4)]:
        body = await api.data(CREATE, {"i": {"tenantId": gid, "title": title, "category": "SECURITY",
                                             "likelihood": likelihood, "impact": impact}}, token)
        made[title] = body["createRisk"]["risk"]["id"]
    accepted = await api.data(UPDATE, {"i": {"id": made["accepted"], "status": "ACCEPTED"}}, token)
    assert accepted["updateRisk"]["risk"]["status"] == "ACCEPTED"
    await api.data(UPDATE, {"i": {"id": made["ten"], "status": "MITIGATING"}}, token)
    rows = (await api.data("{ portfolio { rows { openHighRisks } } }", token=token))["portfolio"]["rows"]
    assert rows == [{"openHighRisks": 3}], "10 (mitigating), 12 and 25 count; 9 and an accepted 16 do not"


async def test_the_default_month_is_the_last_full_month_in_utc(api, world):
    practice = await world.practice()
    token = await api.login((await world.user(practice, Role.CIO)).email)
    month = (await api.data("{ portfolio { month } }", token=token))["portfolio"]["month"]
    assert month == month_label(last_full_month())
