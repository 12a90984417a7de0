"""The synthetic seed: reproducible, complete in every area, plausible, and written under RLS."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.auth.passwords import verify_password
from app.budgets.models import BudgetLine, BudgetSpend, SpendMonth
from app.db.scope import tenant_session
from app.errors import Conflict
from app.models import GLOBAL_TABLES, Base
from app.months import add_months
from app.planning.models import Initiative
from app.policies.models import Policy, PolicyStatus
from app.risks.models import Risk
from app.seed.synthetic import seed_synthetic
from app.steering.models import ActionItem, MeetingStatus, SteeringMeeting
from app.tenants.models import Grant, Role, Tenant, User
from app.tickets.models import MANUAL_SOURCE, Ticket, TicketMonth
from app.vendors.models import Vendor
from tests.seed.conftest import AREAS, END_MONTH, MONTHS, TENANTS, dump

pytestmark = pytest.mark.asyncio(loop_scope="session")

START = add_months(END_MONTH, 1 - MONTHS)


async def all_tenant_ids(sm) -> list:
    async with tenant_session(sm, ()) as s:
        return list(await s.scalars(select(Tenant.id).order_by(Tenant.id)))


async def rows(sm, model) -> list:
    async with tenant_session(sm, await all_tenant_ids(sm)) as s:
        return list(await s.scalars(select(model)))


async def test_same_seed_gives_identical_databases(seeded):
    first, again = await dump(seeded["first"][0]), await dump(seeded["again"][0])
    assert first == again
    filled = {name for name, table_rows in first.items() if table_rows}
    assert {m.__tablename__ for m in AREAS} | {"tenants", "practices", "tickets", "audit_events"} <= filled


async def test_a_different_seed_gives_different_data(seeded):
    first, other = await dump(seeded["first"][0]), await dump(seeded["other"][0])
    assert len(other["tenants"]) == TENANTS
    for name in ("tenants", "risks", "budget_spend", "steering_meetings"):
        assert first[name] != other[name], name
    assert {t[0] for t in first["tenants"]}.isdisjoint({t[0] for t in other["tenants"]})


async def test_every_area_has_rows_for_every_tenant(seeded):
    sm, summary = seeded["first"]
    tenant_ids = set(await all_tenant_ids(sm))
    assert len(tenant_ids) == TENANTS == summary.tenants
    for model in AREAS:
        per_tenant = Counter(r.tenant_id for r in await rows(sm, model))
        assert set(per_tenant) == tenant_ids, model.__tablename__
    initiatives = Counter(r.tenant_id for r in await rows(sm, Initiative))
    risks = Counter(r.tenant_id for r in await rows(sm, Risk))
    vendors = Counter(r.tenant_id for r in await rows(sm, Vendor))
    assert all(5 <= n <= 15 + 4 for n in initiatives.values())  # drawn, and one for each quarter left empty
    assert all(5 <= n <= 20 for n in risks.values())
    assert all(3 <= n <= 10 for n in vendors.values())
    assert sum(summary.rows.values()) == summary.total_rows > TENANTS * 100


async def test_values_are_plausible(seeded):
    sm, _ = seeded["first"]
    tenants = await rows(sm, Tenant)
    assert all(10 <= t.employee_count <= 500 for t in tenants)
    assert len({t.slug for t in tenants}) == TENANTS
    risks = await rows(sm, Risk)
    assert all(1 <= r.likelihood <= 5 and 1 <= r.impact <= 5 and r.score == r.likelihood * r.impact for r in risks)
    assert any(r.review_due and r.review_due < add_months(END_MONTH, 1) for r in risks), "some reviews overdue"
    assert any(r.initiative_id for r in risks), "some risks linked to initiatives"
    assert all(START <= s.month <= END_MONTH and s.month.day == 1 for s in await rows(sm, BudgetSpend))
    lines = await rows(sm, BudgetLine)
    assert all(6 <= n <= 15 for n in Counter(line.budget_id for line in lines).values())
    assert any(line.vendor_id for line in lines) and any(line.initiative_id for line in lines)
    policies = await rows(sm, Policy)
    assert all(p.approved_on for p in policies if p.status == PolicyStatus.APPROVED)


async def test_steering_meets_most_months_and_schedules_the_next(seeded):
    sm, _ = seeded["first"]
    tenants = {t.id: t for t in await rows(sm, Tenant)}
    meetings = await rows(sm, SteeringMeeting)
    held = {(m.tenant_id, m.scheduled_at.date().replace(day=1)) for m in meetings if m.status == MeetingStatus.HELD}
    active = {(t.id, m) for t in tenants.values() for m in months_since(t.created_at.date().replace(day=1))}
    assert held <= active
    assert len(held) >= 0.6 * len(active)
    scheduled = [m for m in meetings if m.status == MeetingStatus.SCHEDULED]
    assert sorted(m.tenant_id for m in scheduled) == sorted([*tenants, *tenants])  # this month's and the next's
    assert all(m.scheduled_at.date() > END_MONTH.replace(day=28) for m in scheduled)
    ahead = {t: sorted(m.scheduled_at for m in scheduled if m.tenant_id == t) for t in tenants}
    assert all(later - first >= dt.timedelta(days=21) for first, later in ahead.values())
    assert all({"name", "function"} <= set(a) for m in meetings for a in m.attendees)
    held_ids = {m.id for m in meetings if m.status == MeetingStatus.HELD}
    assert all(a.meeting_id in held_ids for a in await rows(sm, ActionItem))


def months_since(first):
    month, out = max(first, START), []
    while month <= END_MONTH:
        out.append(month)
        month = add_months(month, 1)
    return out


async def test_psa_tickets_add_up_to_their_ticket_months(seeded):
    sm, _ = seeded["first"]
    counted = Counter()
    for t in await rows(sm, Ticket):
        counted[(t.tenant_id, t.source, t.opened_at.date().replace(day=1), t.category.value.lower())] += 1
    assert counted, "some tenants push tickets from a PSA"
    reported = Counter()
    for m in await rows(sm, TicketMonth):
        if m.source != MANUAL_SOURCE:
            for category in ("support", "change", "alert"):
                if getattr(m, category):
                    reported[(m.tenant_id, m.source, m.month, category)] = getattr(m, category)
    assert counted == reported


async def test_spend_adds_up_to_its_spend_months(seeded):
    sm, _ = seeded["first"]
    spent = Counter()
    for s in await rows(sm, BudgetSpend):
        spent[(s.tenant_id, s.month)] += s.amount
    assert spent
    assert {k: v for k, v in spent.items() if v} == {(m.tenant_id, m.month): m.amount for m in await rows(sm, SpendMonth)}


async def test_one_tenant_scope_sees_only_that_tenants_seeded_rows(seeded):
    sm, _ = seeded["first"]
    one, *others = await all_tenant_ids(sm)
    tenant_tables = [t for name, t in Base.metadata.tables.items() if name not in GLOBAL_TABLES]
    async with tenant_session(sm, [one]) as s:
        for table in tenant_tables:
            seen = set(await s.scalars(select(table.c.tenant_id).distinct()))
            assert seen <= {one}, table.name
        assert await s.scalar(select(func.count()).select_from(Risk)) > 0
    async with tenant_session(sm, ()) as s:
        assert await s.scalar(select(func.count()).select_from(Risk)) == 0


async def test_seeding_a_practice_that_has_clients_is_refused(seeded):
    sm, _ = seeded["first"]
    with pytest.raises(Conflict):
        await seed_synthetic(sm, tenants=2, months=1, progress=False, end_month=END_MONTH)
    assert len(await all_tenant_ids(sm)) == TENANTS


async def test_benchmark_cio_is_granted_the_first_tenants_and_can_log_in(sessionmaker):
    summary = await seed_synthetic(
        sessionmaker, tenants=3, months=2, practice="Benchmark Practice", progress=False, end_month=END_MONTH,
        cio_tenants=2, cio_password="bench-password-1",
    )
    assert summary.cio_email == "cio@benchmark-practice.example"
    async with tenant_session(sessionmaker, ()) as s:
        user = await s.scalar(select(User).where(User.email == summary.cio_email))
        granted = set(await s.scalars(select(Grant.tenant_id).where(Grant.user_id == user.id)))
        tenants = list(await s.scalars(
            select(Tenant.id).where(Tenant.practice_id == summary.practice_id).order_by(Tenant.created_at, Tenant.id)
        ))
    assert user.role == Role.CIO
    assert verify_password(user.password_hash, "bench-password-1")
    assert len(granted) == 2 and granted < set(tenants)
