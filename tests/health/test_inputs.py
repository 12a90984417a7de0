"""The batch inputs agree, tenant by tenant, with the same rows counted in plain Python."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.budgets.actions import write_spend
from app.budgets.models import Budget, BudgetKind, BudgetLine, BudgetSpend
from app.db.scope import tenant_session
from app.health.formula import HealthInputs
from app.health.inputs import gather_inputs
from app.lifecycle import rules as lifecycle_rules
from app.lifecycle.models import Asset, AssetKind, LifecycleStatus
from app.planning.models import Initiative, InitiativeStatus
from app.policies.models import REQUIRED_KINDS, Policy, PolicyKind, PolicyStatus
from app.risks.models import Risk, RiskCategory, RiskStatus
from app.risks.rules import acceptance_expired, open_on
from app.standards import alignment
from app.standards.models import (
    Alignment,
    Review,
    ReviewAnswer,
    ReviewStatus,
    Standard,
    StandardPriority,
)
from app.steering.models import MeetingStatus, SteeringMeeting
from app.tenants.models import Tenant, TenantStatus
from app.tickets.models import TicketMonth
from tests.health.rows import add, add_lines, change_tenant

MONTH = dt.date(2026, 10, 1)
UTC = dt.UTC


def at(*args, tz=UTC) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


async def rich_tenant(world, sm, practice):
    """A client with data in every area, with rows on both sides of each month boundary."""
    t = await world.tenant(practice, employee_count=40)
    await change_tenant(sm, t.id, created_at=at(2025, 1, 10))
    budget = Budget(tenant_id=t.id, fiscal_year=2026, currency="USD")
    old_budget = Budget(tenant_id=t.id, fiscal_year=2025, currency="USD")
    await add(sm, t.id, budget, old_budget)
    lines = [
        BudgetLine(tenant_id=t.id, budget_id=budget.id, name="M365", kind=BudgetKind.OPEX, category="SaaS", planned=Decimal("24000")),
        BudgetLine(tenant_id=t.id, budget_id=budget.id, name="Laptops", kind=BudgetKind.CAPEX, category="HW", planned=Decimal("36000.50")),
        BudgetLine(tenant_id=t.id, budget_id=budget.id, name="Surprise", kind=BudgetKind.OPEX, category="SaaS", planned=Decimal("0")),
        BudgetLine(tenant_id=t.id, budget_id=budget.id, name="Unused", kind=BudgetKind.OPEX, category="SaaS", planned=Decimal("0")),
        BudgetLine(tenant_id=t.id, budget_id=old_budget.id, name="Old", kind=BudgetKind.OPEX, category="SaaS", planned=Decimal("999")),
    ]
    await add_lines(sm, t.id, *lines)
    # Spend falls in its line's fiscal year, as set_spend requires (the old year's line in 2025).
    spend = [(lines[0], 2026, 1, "2000"), (lines[0], 2026, 10, "2500.25"), (lines[0], 2026, 11, "9999"),
             (lines[1], 2026, 3, "30000"), (lines[2], 2026, 10, "150"), (lines[3], 2026, 11, "75"),
             (lines[4], 2025, 10, "5000")]
    await add_spend(sm, t.id, [(line, dt.date(y, m, 1), Decimal(a)) for line, y, m, a in spend])
    await add(
        sm, t.id,
        TicketMonth(tenant_id=t.id, month=MONTH, source="manual", support=5, change=2, alert=1),
        TicketMonth(tenant_id=t.id, month=MONTH, source="connectwise", support=7, change=0, alert=1),
        TicketMonth(tenant_id=t.id, month=dt.date(2026, 9, 1), source="manual", support=50),
    )
    risk = {"tenant_id": t.id, "title": "r", "category": RiskCategory.SECURITY}
    await add(
        sm, t.id,
        Risk(**risk, likelihood=4, impact=5, review_due=dt.date(2026, 10, 30)),  # 20 critical, overdue
        Risk(**risk, likelihood=4, impact=4, status=RiskStatus.MITIGATING, review_due=dt.date(2026, 10, 31)),  # 16 high
        Risk(**risk, likelihood=5, impact=2),  # 10 high
        Risk(**risk, likelihood=3, impact=3, review_due=dt.date(2026, 11, 2)),  # 9 medium
        Risk(**risk, likelihood=1, impact=5),  # 5 medium
        Risk(**risk, likelihood=2, impact=2, review_due=dt.date(2026, 1, 1)),  # 4 low, overdue
        Risk(**risk, likelihood=5, impact=5, status=RiskStatus.CLOSED, review_due=dt.date(2025, 1, 1)),
        Risk(**risk, likelihood=5, impact=4, status=RiskStatus.ACCEPTED),  # accepted without an end: not open
        # Accepted until the last day of October: expired by its end, so open (critical, overdue review).
        Risk(**risk, likelihood=5, impact=5, status=RiskStatus.ACCEPTED, accepted_until=dt.date(2026, 10, 31),
             review_due=dt.date(2026, 10, 1)),
        Risk(**risk, likelihood=3, impact=4, status=RiskStatus.ACCEPTED, accepted_until=dt.date(2026, 11, 1)),  # still accepted
    )
    initiative = {"tenant_id": t.id, "title": "i"}
    await add(
        sm, t.id,
        Initiative(**initiative, status=InitiativeStatus.DONE, target_month=dt.date(2026, 5, 1)),
        Initiative(**initiative, status=InitiativeStatus.IN_PROGRESS, target_month=MONTH),
        Initiative(**initiative, status=InitiativeStatus.DONE, target_month=dt.date(2026, 11, 1)),
        Initiative(**initiative, status=InitiativeStatus.CANCELLED, target_month=dt.date(2026, 1, 1)),
        Initiative(**initiative, status=InitiativeStatus.DEFERRED, target_month=dt.date(2026, 2, 1)),
        Initiative(**initiative, status=InitiativeStatus.PROPOSED),
    )
    meeting = {"tenant_id": t.id}
    await add(
        sm, t.id,
        SteeringMeeting(**meeting, scheduled_at=at(2026, 10, 31, 23, 30), status=MeetingStatus.HELD),
        SteeringMeeting(**meeting, scheduled_at=at(2026, 10, 5, 9), status=MeetingStatus.HELD),
        # 00:30 on 1 August in Berlin is still July in UTC: outside the window.
        SteeringMeeting(**meeting, scheduled_at=at(2026, 8, 1, 0, 30, tz=dt.timezone(dt.timedelta(hours=2))), status=MeetingStatus.HELD),
        SteeringMeeting(**meeting, scheduled_at=at(2026, 9, 10), status=MeetingStatus.CANCELLED),
        SteeringMeeting(**meeting, scheduled_at=at(2026, 11, 1, 0, 0), status=MeetingStatus.HELD),
    )
    approved = {"tenant_id": t.id, "status": PolicyStatus.APPROVED}
    await add(
        sm, t.id,
        Policy(**approved, kind=PolicyKind.REMOTE_ACCESS, approved_on=dt.date(2026, 1, 15)),
        Policy(**approved, kind=PolicyKind.BACKUP_AND_RECOVERY, approved_on=dt.date(2025, 10, 31)),  # due 2026-10-31
        Policy(**approved, kind=PolicyKind.PHYSICAL_ACCESS, approved_on=dt.date(2025, 10, 30)),  # due 2026-10-30: past
        Policy(**approved, kind=PolicyKind.INCIDENT_RESPONSE, approved_on=dt.date(2024, 11, 30), review_interval_months=24),
        Policy(tenant_id=t.id, kind=PolicyKind.BUSINESS_CONTINUITY, status=PolicyStatus.DRAFT),
        Policy(**approved, kind=PolicyKind.ACCEPTABLE_USE, approved_on=dt.date(2026, 6, 1)),  # not required
    )
    await best_practices(sm, practice, t)
    return t


async def standards(sm, practice, tenant_id) -> dict[str, Standard]:
    """A small library of the practice: one standard per priority, twice, and a deactivated one."""
    made = {
        name: Standard(practice_id=practice.id, section="Identity", title=name, question=f"{name}?",
                       why_it_matters="Because.", priority=priority, active=name != "old")
        for name, priority in (("h1", StandardPriority.HIGH), ("h2", StandardPriority.HIGH),
                               ("h3", StandardPriority.HIGH), ("m1", StandardPriority.MEDIUM),
                               ("m2", StandardPriority.MEDIUM), ("l1", StandardPriority.LOW),
                               ("old", StandardPriority.LOW))
    }
    await add(sm, tenant_id, *made.values())
    return made


async def review(sm, tenant_id, completed_at, answers: dict, status=ReviewStatus.COMPLETED):
    r = Review(tenant_id=tenant_id, status=status, started_at=at(2026, 1, 1), completed_at=completed_at)
    await add(sm, tenant_id, r)
    await add(sm, tenant_id, *[ReviewAnswer(tenant_id=tenant_id, review_id=r.id, standard_id=s.id, alignment=a)
                               for s, a in answers.items()])
    return r


async def best_practices(sm, practice, t):
    """Reviews on both sides of October's end (in UTC) and assets in every status at that end."""
    lib = await standards(sm, practice, t.id)
    a = Alignment
    await review(sm, t.id, at(2026, 9, 1), {lib["h1"]: a.ALIGNED, lib["h2"]: a.ALIGNED})
    # The latest completed by the end of October: 23:30 UTC on its last day (1 November in Berlin).
    await review(sm, t.id, at(2026, 10, 31, 23, 30), {
        lib["h1"]: a.ALIGNED, lib["h2"]: a.PARTIAL, lib["h3"]: a.NOT_APPLICABLE, lib["m1"]: a.NOT_ALIGNED,
        lib["m2"]: a.PARTIAL, lib["l1"]: a.ALIGNED, lib["old"]: a.PARTIAL,
    })
    await review(sm, t.id, at(2026, 11, 1, 0, 10), {lib["h1"]: a.NOT_ALIGNED})
    await review(sm, t.id, None, {lib["h1"]: a.NOT_ALIGNED}, status=ReviewStatus.IN_PROGRESS)
    asset = {"tenant_id": t.id, "name": "a"}
    await add(
        sm, t.id,
        Asset(**asset, kind=AssetKind.LAPTOP, purchased_on=dt.date(2022, 10, 31)),  # 4 years: 2026-10-31, unsupported
        Asset(**asset, kind=AssetKind.LAPTOP, purchased_on=dt.date(2022, 11, 1)),  # expiring
        Asset(**asset, kind=AssetKind.SERVER, purchased_on=dt.date(2025, 1, 1), warranty_end=dt.date(2027, 4, 29)),  # +180 days: expiring
        Asset(**asset, kind=AssetKind.SERVER, warranty_end=dt.date(2027, 4, 30)),  # current
        Asset(**asset, kind=AssetKind.SOFTWARE, warranty_end=dt.date(2026, 1, 1)),  # no warranty for software: unknown
        Asset(**asset, kind=AssetKind.SOFTWARE, end_of_support=dt.date(2026, 10, 15)),  # unsupported
        Asset(**asset, kind=AssetKind.NETWORK, end_of_support=dt.date(2020, 1, 1), replace_by=dt.date(2030, 1, 1)),  # current
        Asset(**asset, kind=AssetKind.CLOUD_SERVICE),  # unknown
        Asset(**asset, kind=AssetKind.PRINTER, purchased_on=dt.date(2021, 1, 1), retired_on=dt.date(2026, 11, 1)),  # expiring
        Asset(**asset, kind=AssetKind.LAPTOP, purchased_on=dt.date(2026, 11, 2)),  # not yet bought
        Asset(**asset, kind=AssetKind.LAPTOP, purchased_on=dt.date(2020, 1, 1), retired_on=dt.date(2026, 10, 31)),  # retired
    )


async def add_spend(sm, tenant_id, spend) -> None:
    """(line, month, amount) written as the app writes spend (its figures kept at commit)."""
    async with tenant_session(sm, [tenant_id]) as s:
        for line, month, amount in spend:
            await write_spend(s, tenant_id, line.id, month, amount)


async def july_fiscal_tenant(world, sm, practice):
    """Fiscal year from July; created mid-September, so its steering window has two months."""
    t = await world.tenant(practice, employee_count=3, fiscal_year_start_month=7, currency="EUR")
    await change_tenant(sm, t.id, created_at=at(2026, 9, 15))
    fy2025, fy2026 = Budget(tenant_id=t.id, fiscal_year=2025, currency="EUR"), Budget(tenant_id=t.id, fiscal_year=2026, currency="EUR")
    await add(sm, t.id, fy2025, fy2026)
    line = BudgetLine(tenant_id=t.id, budget_id=fy2026.id, name="MSP", kind=BudgetKind.OPEX, category="Services", planned=Decimal("12000"))
    await add_lines(sm, t.id, line, BudgetLine(tenant_id=t.id, budget_id=fy2025.id, name="MSP", kind=BudgetKind.OPEX, category="Services", planned=Decimal("1")))
    await add_spend(sm, t.id, [(line, dt.date(2026, m, 1), Decimal("1100")) for m in (7, 8, 9, 10)])
    await add(sm, t.id, TicketMonth(tenant_id=t.id, month=MONTH, source="halopsa", support=0, change=0, alert=0))
    await add(sm, t.id, SteeringMeeting(tenant_id=t.id, scheduled_at=at(2026, 9, 20), status=MeetingStatus.HELD),
              Initiative(tenant_id=t.id, title="later", target_month=dt.date(2027, 1, 1)))
    lib = await standards(sm, practice, t.id)
    await review(sm, t.id, at(2025, 6, 1), {s: Alignment.NOT_APPLICABLE for s in lib.values()})  # nothing applies
    await add(sm, t.id, Asset(tenant_id=t.id, name="cloud", kind=AssetKind.CLOUD_SERVICE))  # no dates at all
    return t


def add_months_clamped(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


async def expected_inputs(sm, tenant_id, month: dt.date) -> HealthInputs:
    """The same inputs, from every row of the tenant, counted one by one in Python."""
    month_end = add_months_clamped(month, 1) - dt.timedelta(days=1)
    async with tenant_session(sm, [tenant_id]) as s:
        tenant = await s.get(Tenant, tenant_id)
        all_of = lambda model: s.scalars(select(model).where(model.tenant_id == tenant_id))  # noqa: E731
        tickets = [r for r in await all_of(TicketMonth) if r.month == month]
        # Hand-entered figures, when the month has them, are the month's figures.
        tickets = [r for r in tickets if r.source == "manual"] or tickets
        budgets, lines, spend = list(await all_of(Budget)), list(await all_of(BudgetLine)), list(await all_of(BudgetSpend))
        risks, initiatives = list(await all_of(Risk)), list(await all_of(Initiative))
        meetings, policies = list(await all_of(SteeringMeeting)), list(await all_of(Policy))
        assets, reviews = list(await all_of(Asset)), list(await all_of(Review))
        answers = list(await all_of(ReviewAnswer))
        library = {st.id: st for st in await s.scalars(select(Standard).where(Standard.practice_id == tenant.practice_id))}
    start = tenant.fiscal_year_start_month
    fiscal_year = month.year if month.month >= start else month.year - 1
    budget_ids = {b.id for b in budgets if b.fiscal_year == fiscal_year}
    year_lines = [line for line in lines if line.budget_id in budget_ids]
    spent = {line.id: sum((s.amount for s in spend if s.budget_line_id == line.id and s.month <= month), Decimal(0))
             for line in year_lines}
    active = [r for r in risks if open_on(r.status, r.accepted_until, month_end)]
    done = [r for r in reviews if r.status == ReviewStatus.COMPLETED and r.completed_at.astimezone(UTC).date() <= month_end]
    latest = max(done, key=lambda r: (r.completed_at, r.id), default=None)
    latest_answers = [(library[a.standard_id].priority, a.alignment) for a in answers if latest and a.review_id == latest.id]
    applies = [(p, a) for p, a in latest_answers if a != Alignment.NOT_APPLICABLE]
    statuses = [
        lifecycle_rules.lifecycle_status(lifecycle_rules.replacement_date(
            x.kind, x.replace_by, x.end_of_support, x.warranty_end, x.purchased_on), month_end)
        for x in assets if lifecycle_rules.in_service(x.purchased_on, x.retired_on, month_end)
    ]
    due = [i for i in initiatives if i.target_month and i.target_month <= month
           and i.status not in (InitiativeStatus.CANCELLED, InitiativeStatus.DEFERRED)]
    created = tenant.created_at.astimezone(UTC).date().replace(day=1)
    window = [m for m in (add_months_clamped(month, -k) for k in range(3)) if m >= created]
    held = {m.scheduled_at.astimezone(UTC).date().replace(day=1) for m in meetings if m.status == MeetingStatus.HELD}
    return HealthInputs(
        month=month,
        employees=tenant.employee_count,
        currency=tenant.currency,
        tickets=sum(r.support + r.change + r.alert for r in tickets) if tickets else None,
        fiscal_year=fiscal_year,
        fiscal_months_elapsed=(month.month - start) % 12 + 1,
        budget_lines=len(year_lines),
        planned=sum((line.planned for line in year_lines), Decimal(0)),
        actual=sum(spent.values(), Decimal(0)),
        unplanned_lines=sum(1 for line in year_lines if line.planned == 0 and spent[line.id] > 0),
        risks=len(risks),
        critical_risks=sum(1 for r in active if r.likelihood * r.impact >= 17),
        high_risks=sum(1 for r in active if 10 <= r.likelihood * r.impact <= 16),
        medium_risks=sum(1 for r in active if 5 <= r.likelihood * r.impact <= 9),
        overdue_reviews=sum(1 for r in active if r.review_due and r.review_due < month_end),
        initiatives=len(initiatives),
        initiatives_due=len(due),
        initiatives_done=sum(1 for i in due if i.status == InitiativeStatus.DONE),
        steering_months=len(window),
        steering_held=len(held & set(window)),
        policies_current=sum(
            1 for p in policies
            if p.kind in REQUIRED_KINDS and p.status == PolicyStatus.APPROVED
            and add_months_clamped(p.approved_on, p.review_interval_months) >= month_end
        ),
        expired_acceptances=sum(1 for r in risks if acceptance_expired(r.status, r.accepted_until, month_end)),
        review_completed_on=latest.completed_at.astimezone(UTC).date() if latest else None,
        alignment_possible=sum(alignment.weight(p, a) for p, a in latest_answers),
        alignment_halves=sum(alignment.earned_halves(p, a) for p, a in latest_answers),
        standards_applicable=len(applies),
        standards_aligned=sum(1 for _, a in applies if a == Alignment.ALIGNED),
        high_priority_gaps=sum(1 for p, a in applies if p == StandardPriority.HIGH and a in alignment.GAPS),
        assets_current=statuses.count(LifecycleStatus.CURRENT),
        assets_expiring=statuses.count(LifecycleStatus.EXPIRING),
        assets_unsupported=statuses.count(LifecycleStatus.UNSUPPORTED),
        assets_unknown=statuses.count(LifecycleStatus.UNKNOWN),
    )


async def gathered(sm, scope, tenant_ids, month=MONTH):
    async with tenant_session(sm, scope) as session:
        return {t.tenant_id: t for t in await gather_inputs(session, tenant_ids, month)}


async def test_batch_inputs_agree_with_the_rows_for_every_tenant(world, sessionmaker):
    practice = await world.practice()
    rich = await rich_tenant(world, sessionmaker, practice)
    july = await july_fiscal_tenant(world, sessionmaker, practice)
    empty = await world.tenant(practice, employee_count=12)
    ids = [rich.id, july.id, empty.id]

    found = await gathered(sessionmaker, ids, ids)

    assert set(found) == set(ids)
    for tenant_id in ids:
        assert found[tenant_id].inputs == await expected_inputs(sessionmaker, tenant_id, MONTH)
        assert found[tenant_id].weights is None  # the practice keeps the default weights
    # The hand-checked figures of the rich tenant (each boundary row above falls on its side).
    rich_inputs = found[rich.id].inputs
    assert (rich_inputs.tickets, rich_inputs.budget_lines, rich_inputs.unplanned_lines) == (8, 4, 1)
    assert (rich_inputs.planned, rich_inputs.actual) == (Decimal("60000.50"), Decimal("34650.25"))
    # The acceptance that ended on 31 October makes a second critical risk, with an overdue review.
    assert (rich_inputs.critical_risks, rich_inputs.high_risks, rich_inputs.medium_risks, rich_inputs.overdue_reviews) == (2, 2, 2, 3)
    assert rich_inputs.expired_acceptances == 1
    assert (rich_inputs.initiatives, rich_inputs.initiatives_due, rich_inputs.initiatives_done) == (6, 2, 1)
    assert (rich_inputs.steering_months, rich_inputs.steering_held, rich_inputs.policies_current) == (3, 1, 3)
    # The review of 31 October, 23:30 UTC: sum(w) = 5 + 5 + 3 + 3 + 1 + 1 (the deactivated standard still
    # counts in it), earned 5 + 2.5 + 0 + 1.5 + 1 + 0.5, in halves; the NOT_APPLICABLE HIGH is in neither sum.
    assert rich_inputs.review_completed_on == dt.date(2026, 10, 31)
    assert (rich_inputs.alignment_possible, rich_inputs.alignment_halves) == (18, 21)
    assert (rich_inputs.standards_applicable, rich_inputs.standards_aligned, rich_inputs.high_priority_gaps) == (6, 2, 1)
    assert (rich_inputs.assets_current, rich_inputs.assets_expiring, rich_inputs.assets_unsupported,
            rich_inputs.assets_unknown) == (2, 3, 2, 2)
    july_inputs = found[july.id].inputs
    assert (july_inputs.review_completed_on, july_inputs.alignment_possible, july_inputs.standards_applicable) == (
        dt.date(2025, 6, 1), 0, 0)
    assert (july_inputs.assets_unknown, july_inputs.assets_current) == (1, 0)
    assert found[empty.id].inputs.review_completed_on is None
    assert (july_inputs.fiscal_year, july_inputs.fiscal_months_elapsed, july_inputs.actual) == (2026, 4, Decimal("4400.00"))
    assert (july_inputs.tickets, july_inputs.steering_months, july_inputs.steering_held) == (0, 2, 1)
    assert found[empty.id].inputs.tickets is None and found[empty.id].inputs.steering_months == 0


async def test_offboarded_tenants_are_left_out(world, sessionmaker):
    practice = await world.practice()
    staying, leaving = await world.tenant(practice), await world.tenant(practice)
    await change_tenant(sessionmaker, leaving.id, status=TenantStatus.OFFBOARDED)
    assert set(await gathered(sessionmaker, [staying.id, leaving.id], [staying.id, leaving.id])) == {staying.id}


async def test_a_batch_scoped_to_one_tenant_never_reads_another(world, sessionmaker):
    mine_practice, other_practice = await world.practice(), await world.practice()
    mine = await world.tenant(mine_practice, employee_count=40)
    other = await rich_tenant(world, sessionmaker, other_practice)

    found = await gathered(sessionmaker, [mine.id], [mine.id, other.id])

    assert set(found) == {mine.id}
    assert found[mine.id].inputs == (await gathered(sessionmaker, [mine.id], [mine.id]))[mine.id].inputs
    assert await gathered(sessionmaker, [], [mine.id, other.id]) == {}


async def test_a_batch_takes_nine_statements_however_many_tenants_it_holds(world, sessionmaker, count_statements):
    practice = await world.practice()
    few = [(await rich_tenant(world, sessionmaker, practice)).id]
    many = [*few, (await rich_tenant(world, sessionmaker, practice)).id,
            (await july_fiscal_tenant(world, sessionmaker, practice)).id]
    counts = []
    for ids in (few, many):
        async with tenant_session(sessionmaker, ids) as session:
            with count_statements() as log:
                assert len(await gather_inputs(session, ids, MONTH)) == len(ids)
        counts.append(len(log))
    assert counts == [9, 9], log.report()  # the tenants, then one statement per component's area
