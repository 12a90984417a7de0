"""The executive report's data: gathered as its reader reads the API, in a fixed number of statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.api.compiled import run
from app.api.schema import build_schema
from app.auth import access
from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.errors import NotFound
from app.health.inputs import fiscal_year_of
from app.months import add_months
from app.planning.actions import create_initiative
from app.reports.content import MISSING
from app.reports.gather import document_answer, gather, variables
from app.risks import actions as risks
from app.risks.models import RiskCategory
from app.steering import actions as steering
from app.tenants.models import Role, Tenant
from tests.api.compiled_pair import is_compiled
from tests.reports.cases import api_answer
from tests.reports.conftest import MONTH

SCHEMA = build_schema(False)


async def read(api, user, tenant_id, month=MONTH, compilations=None, planned=False):
    """The report as `user` reads it; `planned`: as the endpoint reads it, the transaction's plans
    made generic by the authenticating statement."""
    services = api.services
    async with services.sessionmaker() as session, session.begin():
        principal = await access.resolve(session, services.settings.secret_key, f"Bearer {api.token(user)}",
                                         generic_plans=planned)
        return await gather(services, session, SCHEMA, principal, tenant_id, month, compilations, planned)


async def test_the_report_holds_what_the_api_answers_for_the_tenant_and_month(api, clients):
    first = clients.tenants[0]
    report = await read(api, clients.admin, first.id)
    tenant = await api_answer(api, clients.admin, first, MONTH)

    assert report.tenant == first.name and report.month == MONTH
    assert (report.score.score, report.score.band) == (tenant["health"]["score"], tenant["health"]["band"])
    assert [c.explanation for c in report.components] == [c["explanation"] for c in tenant["health"]["components"]]
    assert [t.month for t in report.tickets] == [add_months(MONTH, n) for n in range(-11, 1)]
    assert report.trend[-1].score == report.score.score and report.trend[-2].score is not None
    assert report.budget is not None and len(report.budget.months) == 12
    assert sum(m.forecast for m in report.budget.months) > 0
    assert [r.title for r in report.risks] == [r["title"] for r in tenant["risks"]["nodes"]]
    assert sum(map(sum, report.grid())) == len(report.risks)
    completed = [r for r in tenant["reviews"]["nodes"] if r["status"] == "COMPLETED"]
    assert (report.alignment.score if report.alignment else None) == (completed[0]["alignmentScore"] if completed else None)
    assert report.goals and report.lifecycle
    assert [q.quarter for q in report.roadmap] == sorted(q.quarter for q in report.roadmap)


async def test_a_client_executive_reads_their_own_report_and_no_other(api, clients):
    first, other = clients.tenants[:2]
    assert (await read(api, clients.executive, first.id)).tenant == first.name
    with pytest.raises(NotFound):
        await read(api, clients.executive, other.id)


async def test_another_practice_finds_no_report(api, clients, world):
    outsider = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    with pytest.raises(NotFound):
        await read(api, outsider, clients.tenants[0].id)


async def test_a_kept_compilation_reads_its_own_tenant_month_and_reader(api, clients):
    """The API process keeps the report's compiled statement (`run.Compilations`) by the reader and
    the variables: read again through it, each tenant's, month's and reader's report is the one
    read without it, never one of the others kept beside it."""
    kept = run.Compilations()
    first, second = clients.tenants[:2]
    readings = [(clients.admin, first.id, MONTH), (clients.admin, second.id, MONTH),
                (clients.admin, first.id, add_months(MONTH, -1)), (clients.executive, first.id, MONTH)]
    fresh = [await read(api, *reading) for reading in readings]
    assert fresh[0].tenant != fresh[1].tenant and fresh[0].trend != fresh[2].trend
    for _ in range(2):  # compiled, then served from `kept`
        assert [await read(api, *reading, compilations=kept) for reading in readings] == fresh
    assert len(kept) == len(readings)


async def test_a_kept_compilation_is_never_another_reader_s(api, clients):
    """The admin's compiled report of the second tenant, kept, is not what the first tenant's
    executive runs for the same variables: theirs answers no tenant (the tenants table has no row
    security, so the admin's statement would show the executive the other tenant's name)."""
    kept, second, services = run.Compilations(), clients.tenants[1], api.services
    assert (await read(api, clients.admin, second.id, compilations=kept)).tenant == second.name
    given = variables(second.id, MONTH, second.fiscal_year_start_month)
    async with services.sessionmaker() as session, session.begin():
        executive = await access.resolve(session, services.settings.secret_key, f"Bearer {api.token(clients.executive)}")
        assert await document_answer(services, session, SCHEMA, executive, given, kept) == {"tenant": None}
    assert len(kept) == 2


async def test_a_reader_who_plans_generically_reads_a_tenant_s_report_again_in_one_statement_less(
    api, clients, count_statements
):
    """As the endpoint reads it: the authenticating statement makes the plans generic and the
    tenant's fiscal year start, kept since the first report, stands in for reading it."""
    first = clients.tenants[0]
    await read(api, clients.admin, first.id, planned=True)
    with count_statements() as log:
        report = await read(api, clients.admin, first.id, planned=True)
    assert report == await read(api, clients.admin, first.id)
    assert len(log.statements) == REPORT_STATEMENTS - 1, "\n".join(log.statements)


async def test_a_kept_fiscal_year_start_that_changed_is_not_used(api, clients):
    """The answer holds the tenant's fiscal year start: one that moved since it was kept (no
    action moves it; a migration could) makes the document run again for the tenant's own year."""
    first = clients.tenants[0]
    kept = (await read(api, clients.admin, first.id, planned=True)).fiscal_year
    start = next(s for s in range(1, 13) if fiscal_year_of(MONTH, s)[0] != kept)
    async with tenant_session(api.services.sessionmaker, [first.id]) as session:
        (await session.get(Tenant, first.id)).fiscal_year_start_month = start
    report = await read(api, clients.admin, first.id, planned=True)
    assert report.fiscal_year == fiscal_year_of(MONTH, start)[0] != kept
    assert report == await read(api, clients.admin, first.id)


async def test_a_month_without_data_says_so_section_by_section(api, clients):
    report = await read(api, clients.admin, clients.tenants[0].id, add_months(MONTH, -60))
    assert report.score is None and report.tickets == [] and report.budget is None and report.decisions == []
    assert report.missing("score") == MISSING["score"].format(month=f"{add_months(MONTH, -60):%B %Y}")


async def test_the_statements_do_not_grow_with_the_tenants_data(api, clients, count_statements):
    """Reading the report again after more of everything it shows: as many statements as before."""
    harbor, admin = clients.tenants[0], clients.admin
    scoped = Principal.system([harbor.id], harbor.practice_id)
    async with tenant_session(api.services.sessionmaker, [harbor.id]) as s:
        meeting = await steering.schedule_meeting(s, scoped, harbor.id, scheduled_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    with count_statements() as before:
        await read(api, admin, harbor.id)
    async with tenant_session(api.services.sessionmaker, [harbor.id]) as s:
        for n in range(3):
            risk = await risks.create_risk(s, scoped, harbor.id, title=f"More {n}", category=RiskCategory.VENDOR,
                                           likelihood=5, impact=5)
            await steering.create_action_item(s, scoped, harbor.id, meeting.id, title=f"Follow up {n}")
            await create_initiative(s, scoped, harbor.id, title=f"Planned {n}", target_month=add_months(MONTH, 2 + n),
                                    cost_estimate=Decimal("100"))
            assert risk.score == 25
    with count_statements() as after:
        report = await read(api, admin, harbor.id)
    assert {r.title for r in report.risks} >= {"More 0", "More 1", "More 2"}
    assert len(after.statements) == len(before.statements), "\n".join(after.statements)


async def test_a_report_with_every_section_takes_a_fixed_number_of_statements(api, demo, count_statements):
    """The demo's first client has data in every section, so every statement the report can take
    runs: its next meeting among them, which the demo schedules for this month and the next."""
    harbor, _, users = demo
    with count_statements() as log:
        report = await read(api, users[Role.PRACTICE_ADMIN], harbor.id)
    assert report.alignment and report.lifecycle and report.roadmap and report.goals and report.budget
    assert report.risks and report.action_items and report.next_meeting and report.next_meeting.suggested
    assert len(log.statements) == REPORT_STATEMENTS, "\n".join(log.statements)
    assert len([s for s in log.statements if is_compiled(s)]) == 1, "the document runs as one compiled statement"


# Authentication; the reader's tenant's fiscal year start with the plan setting (app/db/scope.py,
# GENERIC_PLANS); the compiled document (one statement: the budget forecast, the roadmap and the
# suggested agenda included).
REPORT_STATEMENTS = 3
