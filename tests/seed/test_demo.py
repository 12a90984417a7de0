"""The demo practice `fcio dev` loads: complete, with three working logins, and seeded only once."""

from __future__ import annotations

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from app.auth.passwords import verify_password
from app.budgets.actions import fiscal_months, year_spans
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.scope import tenant_session
from app.decisions.models import Decision, DecisionKind
from app.health.inputs import fiscal_year_of
from app.lifecycle.actions import today
from app.lifecycle.models import Asset, LifecycleStatus
from app.lifecycle.rules import asset_replacement, lifecycle_status
from app.months import current_month
from app.planning.models import Initiative
from app.planning.roadmap import on_roadmap, quarter_of, quarters_query
from app.risks import rules as risk_rules
from app.risks.models import Risk, RiskStatus
from app.seed.demo import DEMO_CLIENTS, DEMO_PRACTICE, seed_demo
from app.tenants.models import Grant, Practice, Role, Tenant, User
from app.tickets.models import TicketMonth
from tests.seed.conftest import AREAS

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def demo_database(fresh_database) -> str:
    url = fresh_database("fcio_demo")
    migrate.upgrade(url)
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sessionmaker(demo_database):
    """A database of its own: the demo is seeded once per database, and other tests (the reports')
    seed it in the suite's shared one."""
    engine = make_engine(demo_database)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_demo_seeds_once_with_three_working_logins(sessionmaker):
    first = await seed_demo(sessionmaker)
    second = await seed_demo(sessionmaker)
    assert first.created and not second.created
    assert "already exists" in second.message
    assert second.logins == first.logins

    async with tenant_session(sessionmaker, ()) as s:
        practice = await s.scalar(select(Practice).where(Practice.name == DEMO_PRACTICE))
        tenants = {t.slug: t.id for t in await s.scalars(select(Tenant).where(Tenant.practice_id == practice.id))}
        users = {u.email: u for u in await s.scalars(select(User).where(User.practice_id == practice.id))}
        grants = {
            email: set(await s.scalars(select(Grant.tenant_id).where(Grant.user_id == u.id)))
            for email, u in users.items()
        }
    assert len(tenants) == len(DEMO_CLIENTS) == 8
    assert set(users) == {login.email for login in first.logins}
    for login in first.logins:
        user = users[login.email]
        assert user.role == login.role
        assert verify_password(user.password_hash, login.password)
        assert not verify_password(user.password_hash, "wrong-password-1")
    by_role = {login.role: login.email for login in first.logins}
    assert grants[by_role[Role.CIO]] == set(tenants.values())
    assert grants[by_role[Role.CLIENT_EXECUTIVE]] == {tenants["harbor-dental-group"]}
    assert by_role[Role.CLIENT_EXECUTIVE] == "exec@harbor-dental-group.example"


async def test_demo_clients_have_a_year_of_data_in_every_area(sessionmaker):
    await seed_demo(sessionmaker)
    async with tenant_session(sessionmaker, ()) as s:
        practice_id = await s.scalar(select(Practice.id).where(Practice.name == DEMO_PRACTICE))
        tenant_ids = list(await s.scalars(select(Tenant.id).where(Tenant.practice_id == practice_id)))
    async with tenant_session(sessionmaker, tenant_ids) as s:
        for model in AREAS:
            per_tenant = dict((await s.execute(select(model.tenant_id, func.count()).group_by(model.tenant_id))).all())
            assert set(per_tenant) == set(tenant_ids), model.__tablename__
        months = dict((await s.execute(
            select(TicketMonth.tenant_id, func.count(func.distinct(TicketMonth.month))).group_by(TicketMonth.tenant_id)
        )).all())
    assert set(months) == set(tenant_ids)
    assert min(months.values()) >= 9  # a year, less the odd month a struggling client did not report


async def test_demo_assets_show_every_lifecycle_status_in_several_kinds(sessionmaker):
    await seed_demo(sessionmaker)
    async with tenant_session(sessionmaker, ()) as s:
        practice_id = await s.scalar(select(Practice.id).where(Practice.name == DEMO_PRACTICE))
        tenant_ids = list(await s.scalars(select(Tenant.id).where(Tenant.practice_id == practice_id)))
    t = Asset.__table__
    status = lifecycle_status(asset_replacement(t), today())
    async with tenant_session(sessionmaker, tenant_ids) as s:
        kinds = dict((await s.execute(
            select(status, func.count(func.distinct(t.c.kind))).where(t.c.tenant_id.in_(tenant_ids)).group_by(status)
        )).all())
    assert set(kinds) == set(LifecycleStatus)
    assert all(count >= 2 for count in kinds.values()), kinds


async def test_demo_clients_have_a_roadmap_over_the_four_quarters_of_this_fiscal_year(sessionmaker):
    await seed_demo(sessionmaker)
    async with tenant_session(sessionmaker, ()) as s:
        practice_id = await s.scalar(select(Practice.id).where(Practice.name == DEMO_PRACTICE))
        tenants = list(await s.scalars(select(Tenant).where(Tenant.practice_id == practice_id)))
    t, at_risk = Initiative.__table__, []
    async with tenant_session(sessionmaker, [tenant.id for tenant in tenants]) as s:
        for tenant in tenants:
            start = tenant.fiscal_year_start_month
            year = fiscal_year_of(current_month(), start)[0]
            first, last = fiscal_months(year, start)
            rows = (await s.execute(select(t).where(t.c.tenant_id == tenant.id, *on_roadmap(t, first, last)))).all()
            assert {quarter_of(r.target_month, first) for r in rows} == {0, 1, 2, 3}, tenant.name
            found = (await s.execute(quarters_query(year_spans([(tenant.id, first)])))).all()
            assert sum(q.one_time_cost for q in found) > 0 and sum(q.recurring_cost_per_year for q in found) > 0, tenant.name
            assert sum(q.hours_saved_per_month for q in found) > 0, tenant.name
            at_risk.append(sum(q.revenue_at_risk for q in found))
    assert sum(amount > 0 for amount in at_risk) >= len(tenants) // 2, at_risk
async def test_the_first_clients_register_holds_an_approval_a_decline_and_two_acceptances(sessionmaker):
    await seed_demo(sessionmaker)
    async with tenant_session(sessionmaker, ()) as s:
        tenant = await s.scalar(select(Tenant).where(Tenant.slug == "harbor-dental-group"))
    day = today()
    async with tenant_session(sessionmaker, [tenant.id]) as s:
        decisions = list(await s.scalars(select(Decision).where(Decision.tenant_id == tenant.id)))
        accepted = {r.id: r for r in await s.scalars(select(Risk).where(Risk.tenant_id == tenant.id, Risk.status == RiskStatus.ACCEPTED))}
    kinds = sorted(d.kind.value for d in decisions)
    acceptances = [d for d in decisions if d.kind == DecisionKind.RISK_ACCEPTED]

    assert kinds == ["INITIATIVE_APPROVED", "INITIATIVE_DECLINED", "RISK_ACCEPTED", "RISK_ACCEPTED"]
    assert all(d.meeting_id for d in decisions) and all(d.reason for d in decisions if d.kind != DecisionKind.INITIATIVE_APPROVED)
    assert sorted(d.expires_on > day for d in acceptances) == [False, True]
    assert sorted(risk_rules.status_on(accepted[d.risk_id].status, accepted[d.risk_id].accepted_until, day).value
                  for d in acceptances) == ["ACCEPTED", "OPEN"]
