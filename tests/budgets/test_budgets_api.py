"""Budgets through GraphQL: lines set by name, spend per month, totals, stale health months, permissions."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.auth.principal import Principal
from app.budgets import actions
from app.budgets.models import Budget, BudgetKind, BudgetLine, BudgetSpend, SpendMonth
from app.db.scope import tenant_session
from app.health.models import StaleHealthMonth
from app.months import add_months, current_month, parse_month
from app.planning.actions import create_initiative
from app.tenants.models import Role
from app.vendors.actions import create_vendor
from tests.apitools import Scene, error_codes, user_error_codes

LINE = "id version name kind category planned actual vendor { name } spend { month amount }"
ERRORS = "userErrors { field code message }"
SET = f"mutation($input: SetBudgetLineInput!) {{ setBudgetLine(input: $input) {{ budgetLine {{ {LINE} }} {ERRORS} }} }}"
SPEND = f"mutation($input: RecordSpendInput!) {{ recordSpend(input: $input) {{ budgetLine {{ {LINE} }} {ERRORS} }} }}"
UPDATE = f"mutation($input: UpdateBudgetLineInput!) {{ updateBudgetLine(input: $input) {{ budgetLine {{ {LINE} }} {ERRORS} }} }}"
DELETE = "mutation($input: DeleteInput!) { deleteBudgetLine(input: $input) { deletedId userErrors { field code } } }"
BUDGET = """query($id: ID!, $year: Int!) { tenant(id: $id) { budget(fiscalYear: $year) {
  fiscalYear currency planned actual firstMonth lastMonth lines { name planned actual } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on BudgetLine { name planned actual } } }"


def line_input(scene: Scene, tenant=None, **fields) -> dict:
    return {
        "tenantId": scene.gid(tenant or scene.tenant), "fiscalYear": 2026, "name": "Microsoft 365",
        "kind": "OPEX", "category": "Licences", "planned": "12000.00",
    } | fields


async def make_line(api, tenant, name="Microsoft 365", planned="12000", fiscal_year=2026):
    return await api.act(
        tenant, actions.set_budget_line, fiscal_year=fiscal_year, name=name, kind=BudgetKind.OPEX,
        category="Licences", planned=Decimal(planned),
    )


async def line_rows(api, tenant) -> list:
    return await api.rows(
        [tenant.id], select(BudgetLine.name, BudgetLine.planned, BudgetLine.version).where(BudgetLine.tenant_id == tenant.id)
    )


async def spend_rows(api, tenant) -> list:
    return await api.rows(
        [tenant.id], select(BudgetSpend.month, BudgetSpend.amount).where(BudgetSpend.tenant_id == tenant.id).order_by(BudgetSpend.month)
    )


async def test_set_budget_line_creates_the_budget_then_updates_the_line_by_name(api, scene: Scene, world):
    tenant = await world.tenant(scene.practice, fiscal_year_start_month=7, currency="EUR")
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)

    created = await api.mutate(admin, SET, line_input(scene, tenant))
    assert created["userErrors"] == []
    assert created["budgetLine"] | {"id": None} == {
        "id": None, "version": 1, "name": "Microsoft 365", "kind": "OPEX", "category": "Licences",
        "planned": "12000.00", "actual": "0.00", "vendor": None, "spend": [],
    }
    updated = await api.mutate(admin, SET, line_input(scene, tenant, planned="13000", kind="CAPEX"))
    assert updated["budgetLine"]["id"] == created["budgetLine"]["id"]
    assert (updated["budgetLine"]["version"], updated["budgetLine"]["planned"], updated["budgetLine"]["kind"]) == (2, "13000.00", "CAPEX")
    await api.mutate(admin, SET, line_input(scene, tenant, name="Firewall support", planned="2500.50"))

    budget = (await api.data(admin, BUDGET, {"id": scene.gid(tenant), "year": 2026}))["tenant"]["budget"]
    assert budget == {
        "fiscalYear": 2026, "currency": "EUR", "planned": "15500.50", "actual": "0.00",
        "firstMonth": "2026-07", "lastMonth": "2027-06",
        "lines": [
            {"name": "Firewall support", "planned": "2500.50", "actual": "0.00"},
            {"name": "Microsoft 365", "planned": "13000.00", "actual": "0.00"},
        ],
    }
    assert (await api.data(admin, BUDGET, {"id": scene.gid(tenant), "year": 2025}))["tenant"]["budget"] is None
    assert (await api.audit_actions(tenant))[-3:] == ["budget_line.create", "budget_line.update", "budget_line.create"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"planned": "-1"}, "planned"), ({"planned": "1.001"}, "planned"), ({"name": " "}, "name"),
     ({"category": "c" * 101}, "category"), ({"fiscalYear": 1999}, "fiscalYear")],
)
async def test_invalid_lines_are_refused_and_no_budget_is_created(api, scene: Scene, change, field):
    payload = await api.mutate(scene.cio, SET, line_input(scene, **change))

    assert payload["budgetLine"] is None
    assert user_error_codes(payload) == [("INVALID", [field])]
    assert await api.rows([scene.tenant.id], select(Budget.id).where(Budget.tenant_id == scene.tenant.id)) == []


async def test_record_spend_sets_the_month_and_the_totals_follow(api, scene: Scene):
    line = await make_line(api, scene.tenant)
    gid = scene.object_id("BudgetLine", line)

    await api.mutate(scene.cio, SPEND, {"budgetLineId": gid, "month": "2026-01", "amount": "900"})
    await api.mutate(scene.cio, SPEND, {"budgetLineId": gid, "month": "2026-02", "amount": "1000.25"})
    replaced = await api.mutate(scene.cio, SPEND, {"budgetLineId": gid, "month": "2026-01", "amount": "950.00"})

    assert replaced["userErrors"] == []
    assert replaced["budgetLine"]["actual"] == "1950.25"
    assert replaced["budgetLine"]["spend"] == [{"month": "2026-01", "amount": "950.00"}, {"month": "2026-02", "amount": "1000.25"}]
    budget = (await api.data(scene.executive, BUDGET, {"id": scene.gid(scene.tenant), "year": 2026}))["tenant"]["budget"]
    assert (budget["planned"], budget["actual"]) == ("12000.00", "1950.25")
    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] == {"name": "Microsoft 365", "planned": "12000.00", "actual": "1950.25"}
    assert await spend_rows(api, scene.tenant) == [(parse_month("2026-01"), Decimal("950.00")), (parse_month("2026-02"), Decimal("1000.25"))]
    assert (await api.audit_actions(scene.tenant))[-3:] == ["budget_spend.set"] * 3


@pytest.mark.parametrize(
    ("month", "amount", "field"),
    [("2025-12", "10", "month"), ("2027-01", "10", "month"), ("2026-05", "-10", "amount"), ("2026-05", "0.001", "amount")],
)
async def test_spend_outside_the_fiscal_year_or_not_money_is_invalid(api, scene: Scene, month, amount, field):
    line = await make_line(api, scene.tenant)

    payload = await api.mutate(
        scene.cio, SPEND, {"budgetLineId": scene.object_id("BudgetLine", line), "month": month, "amount": amount}
    )

    assert user_error_codes(payload) == [("INVALID", [field])]
    assert await spend_rows(api, scene.tenant) == []


async def test_fiscal_years_are_named_by_the_year_they_start_in(api, scene: Scene, world):
    tenant = await world.tenant(scene.practice, fiscal_year_start_month=7)
    gid = scene.object_id("BudgetLine", await make_line(api, tenant))
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)

    june_2027 = await api.mutate(admin, SPEND, {"budgetLineId": gid, "month": "2027-06", "amount": "1"})
    june_2026 = await api.mutate(admin, SPEND, {"budgetLineId": gid, "month": "2026-06", "amount": "1"})

    assert june_2027["userErrors"] == []
    assert user_error_codes(june_2026) == [("INVALID", ["month"])]
    assert "2026-07 to 2027-06" in june_2026["userErrors"][0]["message"]


async def test_spend_in_a_closed_month_marks_it_and_the_later_closed_months_stale(api, scene: Scene, world):
    current = current_month()
    two_ago, last = add_months(current, -2), add_months(current, -1)
    # A fiscal year that starts two months ago: both closed months and the current one are in it.
    tenant = await world.tenant(scene.practice, fiscal_year_start_month=two_ago.month)
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    gid = scene.object_id("BudgetLine", await make_line(api, tenant, fiscal_year=two_ago.year))

    async def stale_months():
        rows = await api.rows([tenant.id], select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant.id))
        return sorted(r.month for r in rows)

    await api.mutate(admin, SPEND, {"budgetLineId": gid, "month": current.strftime("%Y-%m"), "amount": "5"})
    assert await stale_months() == []
    await api.mutate(admin, SPEND, {"budgetLineId": gid, "month": two_ago.strftime("%Y-%m"), "amount": "5"})
    assert await stale_months() == [two_ago, last]


async def test_update_budget_line_renames_links_and_checks_versions(api, scene: Scene):
    line = await make_line(api, scene.tenant)
    await make_line(api, scene.tenant, name="Backup")
    vendor = await api.act(scene.tenant, create_vendor, name="Microsoft", relationship="PARTNER")
    theirs = await api.act(scene.other, create_vendor, name="Elsewhere", relationship="PARTNER")
    gid = scene.object_id("BudgetLine", line)

    linked = await api.mutate(
        scene.cio, UPDATE, {"id": gid, "expectedVersion": 1, "name": "M365", "vendorId": scene.object_id("Vendor", vendor)}
    )
    assert linked["userErrors"] == []
    assert (linked["budgetLine"]["name"], linked["budgetLine"]["vendor"], linked["budgetLine"]["version"]) == ("M365", {"name": "Microsoft"}, 2)

    for input, code, field in [
        ({"expectedVersion": 1, "planned": "1"}, "CONFLICT", "expectedVersion"),
        ({"name": "Backup"}, "CONFLICT", "name"),
        ({"planned": "-3"}, "INVALID", "planned"),
        ({"vendorId": scene.object_id("Vendor", theirs)}, "NOT_FOUND", "vendorId"),
    ]:
        payload = await api.mutate(scene.cio, UPDATE, {"id": gid} | input)
        assert user_error_codes(payload) == [(code, [field])], input
    assert sorted(await line_rows(api, scene.tenant)) == [("Backup", Decimal("12000.00"), 1), ("M365", Decimal("12000.00"), 2)]


async def test_delete_budget_line_removes_it_and_its_spend(api, scene: Scene):
    line = await make_line(api, scene.tenant)
    await api.act(scene.tenant, actions.record_spend, line.id, month=parse_month("2026-03"), amount=Decimal(7))
    gid = scene.object_id("BudgetLine", line)

    payload = await api.mutate(scene.cio, DELETE, {"id": gid})

    assert payload == {"deletedId": gid, "userErrors": []}
    assert await line_rows(api, scene.tenant) == []
    assert await spend_rows(api, scene.tenant) == []
    budget = (await api.data(scene.cio, BUDGET, {"id": scene.gid(scene.tenant), "year": 2026}))["tenant"]["budget"]
    assert (budget["planned"], budget["actual"], budget["lines"]) == ("0.00", "0.00", [])


async def test_a_client_executive_cannot_write(api, scene: Scene):
    line = await make_line(api, scene.tenant)
    gid = scene.object_id("BudgetLine", line)

    for query, input in [
        (SET, line_input(scene, planned="1")),
        (SPEND, {"budgetLineId": gid, "month": "2026-01", "amount": "1"}),
        (UPDATE, {"id": gid, "planned": "1"}),
        (DELETE, {"id": gid}),
    ]:
        assert error_codes(await api.run(scene.executive, query, {"input": input})) == ["FORBIDDEN"]
    assert await line_rows(api, scene.tenant) == [("Microsoft 365", Decimal("12000.00"), 1)]
    assert await spend_rows(api, scene.tenant) == []


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_another_tenants_budget_does_not_exist_for_the_cio(api, scene: Scene, which):
    tenant = getattr(scene, which)
    line = await make_line(api, tenant)
    gid = scene.object_id("BudgetLine", line)
    initiative = await api.act(tenant, create_initiative, title="Theirs")

    assert (await api.data(scene.cio, NODE, {"id": gid}))["node"] is None
    assert (await api.data(scene.cio, BUDGET, {"id": scene.gid(tenant), "year": 2026}))["tenant"] is None
    for query, input, field in [
        (SET, line_input(scene, tenant, planned="1"), "tenantId"),
        (SET, line_input(scene, initiativeId=scene.object_id("Initiative", initiative)), "initiativeId"),
        (SPEND, {"budgetLineId": gid, "month": "2026-01", "amount": "1"}, "budgetLineId"),
        (UPDATE, {"id": gid, "planned": "1"}, "id"),
        (DELETE, {"id": gid}, "id"),
    ]:
        assert user_error_codes(await api.mutate(scene.cio, query, input)) == [("NOT_FOUND", [field])]
    assert await line_rows(api, tenant) == [("Microsoft 365", Decimal("12000.00"), 1)]
    assert await spend_rows(api, tenant) == []
    assert await line_rows(api, scene.tenant) == []


async def test_a_fiscal_year_out_of_range_has_no_budget_and_breaks_nothing(api, scene: Scene):
    query = "query($id: ID!) { tenant(id: $id) { name budget(fiscalYear: 99999) { fiscalYear } } }"

    body = await api.run(scene.cio, query, {"id": scene.gid(scene.tenant)})

    assert body == {"data": {"tenant": {"name": scene.tenant.name, "budget": None}}}


async def spend_months(api, tenant) -> dict:
    rows = await api.rows([tenant.id], select(SpendMonth.month, SpendMonth.amount).where(SpendMonth.tenant_id == tenant.id))
    return {month: amount for month, amount in rows if amount}


async def test_the_spend_per_month_follows_every_write_of_spend(api, scene: Scene, world):
    """What the health score and the portfolio sum (spend_months): set, replaced, on two lines, deleted."""
    tenant = await world.tenant(scene.practice)
    first, second = await make_line(api, tenant), await make_line(api, tenant, name="Firewall")
    july, august = parse_month("2026-07"), parse_month("2026-08")
    await api.act(tenant, actions.record_spend, first.id, month=july, amount=Decimal("100.10"))
    await api.act(tenant, actions.record_spend, second.id, month=july, amount=Decimal("50"))
    await api.act(tenant, actions.record_spend, first.id, month=august, amount=Decimal("7"))
    assert await spend_months(api, tenant) == {july: Decimal("150.10"), august: Decimal("7.00")}

    await api.act(tenant, actions.record_spend, first.id, month=july, amount=Decimal("20"))  # replaces 100.10
    assert await spend_months(api, tenant) == {july: Decimal("70.00"), august: Decimal("7.00")}

    await api.act(tenant, actions.delete_budget_line, first.id)  # its spend goes with it
    assert await spend_months(api, tenant) == {july: Decimal("50.00")}


async def test_a_writer_of_spend_commits_while_another_is_still_open_and_both_are_counted(api, scene: Scene, world):
    """The month's spend row is locked only while a writer commits (migration 0012): the second
    writer commits while the first is still open, and the first adds to it after."""
    tenant = await world.tenant(scene.practice)
    this_month = current_month()  # a closed month would be marked stale, a wait of its own
    first_line = await make_line(api, tenant, fiscal_year=this_month.year)
    second_line = await make_line(api, tenant, name="Firewall", fiscal_year=this_month.year)
    first_written, second_committed = asyncio.Event(), asyncio.Event()
    system = Principal.system([tenant.id], tenant.practice_id)

    async def first():
        async with tenant_session(api.services.sessionmaker, [tenant.id]) as session:
            await actions.record_spend(session, system, tenant.id, first_line.id, month=this_month, amount=Decimal("10"))
            first_written.set()
            await asyncio.wait_for(second_committed.wait(), 10)  # times out if the second waits for us

    async def second():
        await first_written.wait()
        await api.act(tenant, actions.record_spend, second_line.id, month=this_month, amount=Decimal("5"))
        assert await spend_months(api, tenant) == {this_month: Decimal("5.00")}
        second_committed.set()

    await asyncio.gather(first(), second())
    assert await spend_months(api, tenant) == {this_month: Decimal("15.00")}


async def planned_total(api, tenant, fiscal_year: int = 2026) -> Decimal | None:
    """The budget's kept planned total (what the portfolio and the health score read)."""
    rows = await api.rows([tenant.id], select(Budget.planned).where(Budget.tenant_id == tenant.id,
                                                                   Budget.fiscal_year == fiscal_year))
    return rows[0][0] if rows else None


async def test_the_planned_total_follows_every_write_of_lines(api, scene: Scene):
    """Kept with the lines (budgets.planned): added, re-planned by name and by id, deleted; the API's
    budget total is the same figure."""
    tenant = scene.tenant
    first = await make_line(api, tenant, planned=Decimal("1000.50"))
    await make_line(api, tenant, name="Firewall", planned=Decimal("200"))
    assert await planned_total(api, tenant) == Decimal("1200.50")

    await make_line(api, tenant, name="Firewall", planned=Decimal("250.25"))  # the same line, by name
    await api.act(tenant, actions.update_budget_line, first.id, planned=Decimal("900"))
    assert await planned_total(api, tenant) == Decimal("1150.25")
    body = await api.run(scene.cio, BUDGET, {"id": scene.gid(tenant), "year": 2026})
    assert body["data"]["tenant"]["budget"]["planned"] == "1150.25"

    await api.act(tenant, actions.update_budget_line, first.id, name="Renamed")  # planned unchanged
    await api.act(tenant, actions.delete_budget_line, first.id)
    assert await planned_total(api, tenant) == Decimal("250.25")


async def test_two_writers_of_one_budgets_lines_are_both_counted(api, scene: Scene, world):
    """The budget's row is locked only while a writer commits: the second writer adds its line and
    commits while the first is still open, and the first's line is added to the total after."""
    tenant = await world.tenant(scene.practice)
    await make_line(api, tenant, planned=Decimal("1"))
    first_written, second_committed = asyncio.Event(), asyncio.Event()
    system = Principal.system([tenant.id], tenant.practice_id)

    async def first():
        async with tenant_session(api.services.sessionmaker, [tenant.id]) as session:
            await actions.set_budget_line(session, system, tenant.id, fiscal_year=2026, name="Laptops",
                                          kind=BudgetKind.CAPEX, category="Hardware", planned=Decimal("10"))
            first_written.set()
            await asyncio.wait_for(second_committed.wait(), 10)  # times out if the second waits for us

    async def second():
        await first_written.wait()
        await make_line(api, tenant, name="Firewall", planned=Decimal("5"))
        assert await planned_total(api, tenant) == Decimal("6.00")
        second_committed.set()

    await asyncio.gather(first(), second())
    assert await planned_total(api, tenant) == Decimal("16.00")
