"""The budget forecast through GraphQL: planned spread to the cent, actual of closed months, and the
forecast from the run rate, the roadmap's costs and the lifecycle replacements due.

The months are counted from the current one, so the figures hold whenever the suite runs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.budgets import actions
from app.budgets.models import BudgetKind
from app.health.inputs import fiscal_year_of
from app.lifecycle import actions as lifecycle
from app.months import add_months, current_month, month_label
from app.planning.actions import create_initiative
from app.planning.models import InitiativeStatus
from app.tenants.models import Role
from tests.apitools import Scene

FORECAST = """query($id: ID!, $year: Int!) { tenant(id: $id) { budget(fiscalYear: $year) {
  planned forecast { month planned actual forecast } } } }"""
NOW = current_month()
FIRST = add_months(NOW, -3)  # the fiscal year starts three months ago: three closed, this one open
YEAR = fiscal_year_of(NOW, FIRST.month)[0]


def month(n: int) -> dt.date:
    """The n-th month of the fiscal year (0: its first)."""
    return add_months(FIRST, n)


async def line(api, tenant, year: int, planned: str, name: str = "Run costs"):
    return await api.act(tenant, actions.set_budget_line, fiscal_year=year, name=name, kind=BudgetKind.OPEX,
                         category="Licences", planned=Decimal(planned))


async def spend(api, tenant, made, n: int, amount: str) -> None:
    await api.act(tenant, actions.record_spend, made.id, month=month(n), amount=Decimal(amount))


async def test_the_forecast_adds_the_roadmap_and_the_replacements_to_the_run_rate(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice, fiscal_year_start_month=FIRST.month)
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant])
    made = await line(api, tenant, YEAR, "1000.00")
    await spend(api, tenant, made, 0, "100.00")
    await spend(api, tenant, made, 1, "200.02")  # nothing in the third: 300.02 / 3 = 100.0067, run rate 100.01
    await spend(api, tenant, made, 3, "50.00")  # this month's: not closed, not an actual yet
    for title, n, status, values in [
        ("Managed EDR", 4, InitiativeStatus.APPROVED, {"cost_estimate": Decimal("1200.00"), "recurring_cost_per_year": Decimal("1200.00")}),
        ("Backups", 1, InitiativeStatus.DONE, {"cost_estimate": Decimal("500.00"), "recurring_cost_per_year": Decimal("1000.00")}),
        ("Dropped", 5, InitiativeStatus.CANCELLED, {"cost_estimate": Decimal("9999.00")}),
        ("Next year", 12, InitiativeStatus.PROPOSED, {"cost_estimate": Decimal("5.00")}),
    ]:
        await api.act(tenant, create_initiative, title=title, target_month=month(n), status=status, **values)
    for name, fields in [
        ("Past due", {"replace_by": month(-8) + dt.timedelta(days=14), "replacement_cost": Decimal("10.00")}),
        ("Due in the sixth month", {"replace_by": month(6) + dt.timedelta(days=19), "replacement_cost": Decimal("999.99")}),
        ("No cost", {"replace_by": month(7)}),
        ("Retired", {"replace_by": month(5), "retired_on": lifecycle.today() - dt.timedelta(days=1),
                     "replacement_cost": Decimal("7.00")}),
        ("Next year", {"replace_by": month(12), "replacement_cost": Decimal("1.00")}),
    ]:
        await api.act(tenant, lifecycle.create_asset, name=name, kind="MOBILE", **fields)

    budget = (await api.data(executive, FORECAST, {"id": Scene.gid(tenant), "year": YEAR}))["tenant"]["budget"]

    # 1000.00 a year: month k is cents(1000 k / 12) - cents(1000 (k - 1) / 12).
    planned = ["83.33", "83.34", "83.33"] * 4
    # Backups' 1000.00 a year from month 1 (its 3rd share in month 3), the EDR's 1200.00 from month 4.
    backups = {3: "83.33", 4: "83.33", 5: "83.34", 6: "83.33", 7: "83.33", 8: "83.34", 9: "83.33", 10: "83.33", 11: "83.34"}
    expected = [("100.00", "100.00"), ("200.02", "200.02"), ("0.00", "0.00")] + [
        (None, str(Decimal("100.01") + Decimal(backups[n]) + (Decimal("100.00") if n >= 4 else 0)
                   + (Decimal("1200.00") if n == 4 else 0) + (Decimal("10.00") if n == 3 else 0)
                   + (Decimal("999.99") if n == 6 else 0)))
        for n in range(3, 12)
    ]
    assert budget["forecast"] == [
        {"month": month_label(month(n)), "planned": planned[n], "actual": actual, "forecast": figure}
        for n, (actual, figure) in enumerate(expected)
    ]
    assert budget["forecast"][3]["forecast"] == "193.34" and budget["forecast"][4]["forecast"] == "1483.34"
    assert sum(Decimal(m["planned"]) for m in budget["forecast"]) == Decimal(budget["planned"]) == Decimal("1000.00")


async def test_a_year_not_begun_runs_at_plan_and_a_year_gone_by_is_its_actuals(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice, fiscal_year_start_month=FIRST.month)
    executive = await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant])
    await line(api, tenant, YEAR + 1, "1200.00")
    await api.act(tenant, create_initiative, title="Next year", target_month=month(12), cost_estimate=Decimal("5.00"))
    await api.act(tenant, lifecycle.create_asset, name="Next year", kind="MOBILE", replace_by=month(13),
                  replacement_cost=Decimal("1.00"))
    past = await line(api, tenant, YEAR - 1, "0.00")
    await api.act(tenant, actions.record_spend, past.id, month=month(-10), amount=Decimal("30.00"))

    async def forecast(year: int) -> list:
        return (await api.data(executive, FORECAST, {"id": Scene.gid(tenant), "year": year}))["tenant"]["budget"]["forecast"]

    ahead = await forecast(YEAR + 1)
    assert [(m["planned"], m["actual"], m["forecast"]) for m in ahead] == (
        [("100.00", None, "105.00"), ("100.00", None, "101.00")] + [("100.00", None, "100.00")] * 10)
    gone = await forecast(YEAR - 1)
    assert [(m["actual"], m["forecast"]) for m in gone] == [("0.00", "0.00")] * 2 + [("30.00", "30.00")] + [("0.00", "0.00")] * 9
    assert {m["planned"] for m in gone} == {"0.00"}
