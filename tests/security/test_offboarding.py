"""Export, offboard, re-import: a client's data leaves whole, goes entirely, and comes back the same."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

from sqlalchemy import text

from app.health.actions import score_batch
from app.tenants.models import Role
from tests.conftest import World
from tests.integrations.payloads import halopsa
from tests.security.cast import Gql, Holdings, fill
from tests.security.test_webhook_and_lists import webhook_url
from tests.soak.server import run_command

EXPORT = "mutation($i: IdInput!) { exportTenant(input: $i) { export userErrors { code field message } } }"
OFFBOARD = """mutation($i: OffboardTenantInput!) {
  offboardTenant(input: $i) { offboardedId rowsRemoved userErrors { code field message } } }"""
DASHBOARD = (Path(__file__).parents[2] / "graphql/operations/tenant_dashboard.graphql").read_text()
RICH = """query($t: ID!) { tenant(id: $t) { name slug employeeCount
  risks(first: 50) { nodes { id title score status acceptedUntil decision { id } } }
  initiatives(first: 50) { nodes { id title status targetMonth costEstimate recurringCostPerYear hoursSavedPerMonth revenueAtRisk goal { id title } decision { id } } }
  roadmap(fiscalYear: 2026) { quarter oneTimeCost recurringCostPerYear hoursSavedPerMonth revenueAtRisk initiatives { id title } }
  decisions { nodes { id kind summary reason decidedBy { email } decidedAt expiresOn risk { id } meeting { id } } }
  strategy { itMaturity buildVsBuy cloudStrategy preferredPlatforms endorsedStack regulatoryConstraints itCapacityNote updatedAt }
  goals { id version title fiscalYear kpi baseline target current status initiatives { id title } }
  budget(fiscalYear: 2026) { planned actual forecast { month planned actual forecast } lines { id name planned vendor { name } initiative { title } spend { month amount } } }
  ticketMetrics(from: "2026-01", to: "2026-12") { month support change alert total }
  policies { kind status approvedOn } vendors { id name annualCost }
  steeringMeetings { id agenda actionItems { nodes { id title status } } }
  assets { nodes { id version name kind serialNumber purchasedOn replaceBy replacementCost status } }
  reviews { nodes { id status alignmentScore answers { standard { id title active } alignment note }
    findings { id note initiative { title } } changesSincePrevious { before after } } } } }"""


async def catalog_counts(owner_engine, tenant_id) -> dict[str, int]:
    """Rows of the tenant in every table, found by walking the catalog as the owner (above RLS)."""
    async with owner_engine.connect() as conn:
        tables = [r[0] for r in await conn.execute(text(
            "select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id'"
        ))]
        counts = {t: (await conn.execute(text(f'select count(*) from "{t}" where tenant_id = :t'), {"t": tenant_id})).scalar_one()
                  for t in tables}
        counts["tenants"] = (await conn.execute(text("select count(*) from tenants where id = :t"), {"t": tenant_id})).scalar_one()
    return counts


async def owner_rows(owner_engine, table: str, tenant_id) -> list[dict]:
    column = "id" if table == "tenants" else "tenant_id"
    async with owner_engine.connect() as conn:
        return [r[0] for r in await conn.execute(
            text(f'select to_jsonb(t) from "{table}" t where {column} = :t order by to_jsonb(t)::text'), {"t": tenant_id}
        )]


async def test_export_offboard_and_reimport_round_trip(gql: Gql, sessionmaker, owner_engine, database_url, redis_url, tmp_path):
    world = World(sessionmaker)
    practice = await world.practice()
    tenant, spare = await world.tenant(practice), await world.tenant(practice)
    admin, cio = await world.user(practice, Role.PRACTICE_ADMIN), await world.user(practice, Role.CIO, [tenant])
    token, cio_token = await gql.login(admin.email), await gql.login(cio.email)
    holdings = Holdings(tenant, "EXPORTME")
    await fill(gql, token, holdings)
    await gql.mutate(token, "recordSpend", {"budgetLineId": holdings.ids["BudgetLine"], "month": "2026-02", "amount": "123.45"},
                     "budgetLine { id }")
    await score_batch(sessionmaker, [tenant.id], dt.date(2026, 2, 1))
    await gql.mutate(token, "sendExecutiveReport", {"tenantId": holdings.gid, "month": "2026-02",
                                                    "recipients": ["exec@client.example"]}, "deliveries { id }")
    body, headers = halopsa(holdings.halo_secret)
    assert (await gql.http.post(webhook_url(holdings.ids["Integration"]), content=body, headers=headers)).status_code == 202
    before_answer = await gql.data(RICH, {"t": holdings.gid}, token)
    dashboard = {"id": holdings.gid, "from": "2026-01", "to": "2026-12", "fiscalYear": 2026}
    dashboard_before = await gql.data(DASHBOARD, dashboard, token)

    refused_cio = await gql.post(EXPORT, {"i": {"id": holdings.gid}}, cio_token)
    exported = (await gql.data(EXPORT, {"i": {"id": holdings.gid}}, token))["exportTenant"]
    document = exported["export"]
    counts = await catalog_counts(owner_engine, tenant.id)

    assert refused_cio[1]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert exported["userErrors"] == []
    assert set(document["tables"]) == set(counts)
    assert {t: len(rows) for t, rows in document["tables"].items()} == counts
    assert all(counts[t] > 0 for t in ("risks", "budget_spend", "webhook_deliveries", "action_items", "audit_events",
                                       "assets", "reviews", "review_answers", "findings",
                                       "business_goals", "strategy_profiles", "decisions", "report_deliveries"))
    assert len(document["standards"]) == 2  # the practice's standards its reviews name travel with it

    wrong = (await gql.data(OFFBOARD, {"i": {"id": holdings.gid, "confirmSlug": "not-it"}}, token))["offboardTenant"]
    done = (await gql.data(OFFBOARD, {"i": {"id": holdings.gid, "confirmSlug": tenant.slug}}, token))["offboardTenant"]

    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID"]
    assert done["userErrors"] == [] and done["rowsRemoved"] == sum(counts.values())
    assert set((await catalog_counts(owner_engine, tenant.id)).values()) == {0}
    assert (await gql.data(RICH, {"t": holdings.gid}, token))["tenant"] is None
    assert (await owner_rows(owner_engine, "tenants", spare.id)) != []  # the sibling is untouched

    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "FCIO_ENV": "test"}
    cli = await run_command([sys.executable, "-m", "app.cli", "tenants", "import", str(path)], env)
    again = await run_command([sys.executable, "-m", "app.cli", "tenants", "import", str(path)], env)

    assert cli.returncode == 0, cli.stderr
    assert again.returncode != 0 and "exists" in again.stderr
    for table, rows in document["tables"].items():
        now = await owner_rows(owner_engine, table, tenant.id)
        if table == "audit_events":
            assert [r for r in now if r["action"] != "tenant.import"] == rows
        else:
            assert now == rows, table
    assert await gql.data(RICH, {"t": holdings.gid}, token) == before_answer
    assert await gql.data(DASHBOARD, dashboard, token) == dashboard_before


async def test_another_practice_cannot_export_or_offboard_and_learns_nothing(gql, cast, owner_engine):
    admin_b = next(c for c in cast.callers if c.name == "admin_b")
    export_foreign = await gql.data(EXPORT, {"i": {"id": cast.a1.gid}}, admin_b.token)
    offboard_foreign = await gql.data(OFFBOARD, {"i": {"id": cast.a1.gid, "confirmSlug": cast.a1.tenant.slug}}, admin_b.token)
    missing = await gql.data(EXPORT, {"i": {"id": cast.a1.gid[:-4] + "AAAA"}}, admin_b.token)

    assert export_foreign == missing
    assert export_foreign["exportTenant"]["export"] is None
    assert [e["code"] for e in offboard_foreign["offboardTenant"]["userErrors"]] == ["NOT_FOUND"]
    assert (await catalog_counts(owner_engine, cast.a1.tenant.id))["risks"] == 1
