"""The bulk ticket push and hand-entered figures: what is stored, what is reported, who may."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.auth import access
from app.auth.apikeys import create_api_key
from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.errors import Forbidden, Limit, NotFound
from app.health.models import StaleHealthMonth
from app.months import add_months
from app.tenants.models import Role
from app.tickets.actions import (
    DELETED_STATUS,
    TicketInput,
    TicketRow,
    ingest_tickets,
    record_ticket_metrics,
    upsert_tickets,
)
from app.tickets.models import Ticket, TicketCategory, TicketMonth

SEPT = dt.datetime(2026, 9, 10, 9, 0, tzinfo=dt.UTC)


def ticket(n, category="SUPPORT", opened=SEPT, **fields):
    return TicketInput(external_id=f"T-{n}", category=category, opened_at=opened, **fields)


@pytest.fixture
async def tenant_key(world):
    """A tenant and an API key scoped to it, resolved through the real token path."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.principal(await world.user(practice, Role.PRACTICE_ADMIN))
    async with world.scope(()) as session:
        _, token = await create_api_key(session, admin, "psa script", [tenant.id])
    async with world.scope(()) as session:
        key = await access.resolve(session, "unused-jwt-secret", f"Bearer {token}")
    return tenant, key


async def ingest(world, actor, tenant_id, tickets, source="script"):
    async with world.scope(actor.tenant_ids) as session:
        return await ingest_tickets(session, actor, tenant_id, source, tickets)


async def stored(world, tenant_id):
    async with world.scope([tenant_id]) as session:
        tickets = {t.external_id: t for t in await session.scalars(select(Ticket).where(Ticket.tenant_id == tenant_id))}
        rows = await session.scalars(select(TicketMonth).where(TicketMonth.tenant_id == tenant_id))
        return tickets, {(r.month, r.source): (r.support, r.change, r.alert) for r in rows}


async def test_good_tickets_are_stored_and_bad_ones_reported_by_index(world, tenant_key):
    tenant, key = tenant_key
    batch = [
        ticket(1),
        ticket(2, category="URGENT"),
        ticket(3, category="ALERT"),
        ticket(4, opened=dt.datetime(2026, 9, 1, 8, 0)),  # no offset
        ticket(5, category="CHANGE", closed_at=SEPT - dt.timedelta(days=1)),
        TicketInput(external_id="  ", category="SUPPORT", opened_at=SEPT),
    ]

    result = await ingest(world, key, tenant.id, batch)

    assert result.accepted == 2
    assert [e.field for e in result.errors] == [
        ["tickets", "1", "category"], ["tickets", "3", "openedAt"], ["tickets", "4", "closedAt"],
        ["tickets", "5", "externalId"],
    ]
    tickets, months = await stored(world, tenant.id)
    assert set(tickets) == {"T-1", "T-3"}
    assert months == {(dt.date(2026, 9, 1), "script"): (1, 0, 1)}


async def test_another_tenants_id_is_not_found_and_nothing_is_stored(world, tenant_key):
    tenant, key = tenant_key
    other = await world.tenant(await world.practice())

    with pytest.raises(NotFound):
        await ingest(world, key, other.id, [ticket(1)])
    async with world.scope([other.id]) as session:
        assert await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.tenant_id == other.id)) == 0


async def test_a_client_executive_may_not_push_tickets(world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    principal = await world.principal(await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant]))

    with pytest.raises(Forbidden):
        await ingest(world, principal, tenant.id, [ticket(1)])


async def test_pushing_again_is_idempotent_and_an_older_update_never_wins(world, tenant_key):
    tenant, key = tenant_key
    newer, older = SEPT + dt.timedelta(days=3), SEPT + dt.timedelta(days=1)
    await ingest(world, key, tenant.id, [ticket(1, title="closed", closed_at=newer, updated_at=newer)])
    await ingest(world, key, tenant.id, [ticket(1, title="closed", closed_at=newer, updated_at=newer)])
    await ingest(world, key, tenant.id, [ticket(1, title="reopened?", updated_at=older)])

    tickets, months = await stored(world, tenant.id)
    assert (tickets["T-1"].title, tickets["T-1"].closed_at) == ("closed", newer)
    assert months == {(dt.date(2026, 9, 1), "script"): (1, 0, 0)}


async def test_the_figures_follow_a_ticket_that_moves_changes_category_or_is_deleted(world, tenant_key):
    """Each push changes the figures by what it changed; a month left without tickets has no row."""
    tenant, key = tenant_key
    sept, oct_ = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    later = lambda days: SEPT + dt.timedelta(days=days)  # noqa: E731  (each push is newer than the last)
    await ingest(world, key, tenant.id, [ticket(1, updated_at=later(1)), ticket(2, updated_at=later(1)),
                                         ticket(3, "ALERT", updated_at=later(1))])
    assert (await stored(world, tenant.id))[1] == {(sept, "script"): (2, 0, 1)}

    await ingest(world, key, tenant.id, [ticket(1, "CHANGE", updated_at=later(2)),
                                         ticket(2, opened=SEPT + dt.timedelta(days=30), updated_at=later(2))])
    assert (await stored(world, tenant.id))[1] == {(sept, "script"): (0, 1, 1), (oct_, "script"): (1, 0, 0)}

    async with world.scope([tenant.id]) as session:  # a PSA's delete leaves a tombstone
        await upsert_tickets(session, tenant.id, "script", [
            TicketRow("T-2", TicketCategory.SUPPORT, SEPT + dt.timedelta(days=30), status=DELETED_STATUS,
                      updated_at=later(3))])
    assert (await stored(world, tenant.id))[1] == {(sept, "script"): (0, 1, 1)}


async def test_many_writers_at_once_leave_the_figures_a_recount_gives(world, tenant_key):
    """Eight pushes into one month at once, each also moving tickets the others wrote earlier."""
    tenant, key = tenant_key
    await ingest(world, key, tenant.id, [ticket(n, updated_at=SEPT) for n in range(40)])

    async def push(writer: int):
        moved = [ticket(n, "ALERT", opened=SEPT + dt.timedelta(days=25), updated_at=SEPT + dt.timedelta(hours=1))
                 for n in range(writer * 5, writer * 5 + 5)]
        new = [ticket(1000 + writer * 10 + n, "CHANGE") for n in range(10)]
        await ingest(world, key, tenant.id, moved + new)

    await asyncio.gather(*(push(w) for w in range(8)))

    tickets, months = await stored(world, tenant.id)
    recount = {}
    for t in tickets.values():
        figures = recount.setdefault((t.opened_at.astimezone(dt.UTC).date().replace(day=1), t.source), [0, 0, 0])
        figures[("SUPPORT", "CHANGE", "ALERT").index(t.category.value)] += 1
    assert months == {key_: tuple(figures) for key_, figures in recount.items()}
    assert months == {(dt.date(2026, 10, 1), "script"): (0, 0, 40), (dt.date(2026, 9, 1), "script"): (0, 80, 0)}


async def test_more_than_1000_tickets_in_one_call_is_refused(world, tenant_key):
    tenant, key = tenant_key
    with pytest.raises(Limit):
        await ingest(world, key, tenant.id, [ticket(n) for n in range(1001)])


async def test_hand_entered_figures_replace_the_month_and_mark_a_past_month_stale(world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    actor = Principal.system([tenant.id], practice.id)
    for figures in ((3, 1, 0), (5, 0, 2)):
        async with world.scope([tenant.id]) as session:
            await record_ticket_metrics(session, actor, tenant.id, "2026-08", *figures)

    async with world.scope([tenant.id]) as session:
        rows = list(await session.scalars(select(TicketMonth).where(TicketMonth.tenant_id == tenant.id)))
        stale = set(await session.scalars(select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant.id)))
    assert [(r.source, r.support, r.change, r.alert) for r in rows] == [("manual", 5, 0, 2)]
    assert stale == {dt.date(2026, 8, 1)}


async def test_hand_entered_figures_for_another_tenant_are_not_found(world):
    practice = await world.practice()
    mine, theirs = await world.tenant(practice), await world.tenant(await world.practice())
    actor = Principal.system([mine.id], practice.id)
    async with tenant_session(world.sessionmaker, [mine.id]) as session:
        with pytest.raises(NotFound):
            await record_ticket_metrics(session, actor, theirs.id, "2026-08", 1, 1, 1)


@pytest.mark.parametrize("months_back", [0, 1], ids=["current month", "past month"])
async def test_a_writer_of_a_month_commits_while_another_is_still_open_and_both_are_counted(world, tenant_key,
                                                                                             months_back):
    """The month's figure row is locked only while a writer commits (migration 0012), not from its
    write to its commit: the second push commits while the first is open, then the first adds to it.
    A past month's stale mark is written at commit too (`mark_stale`), so it does not hold the
    second push either, and the month is marked once both have committed."""
    tenant, key = tenant_key
    this_month = dt.datetime.now(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    opened = dt.datetime.combine(add_months(this_month.date(), -months_back), dt.time(), dt.UTC)
    first_written, second_committed = asyncio.Event(), asyncio.Event()

    async def first():
        async with world.scope(key.tenant_ids) as session:
            await ingest_tickets(session, key, tenant.id, "script", [ticket(1, opened=opened)])
            first_written.set()
            await asyncio.wait_for(second_committed.wait(), 10)  # times out if the second waits for us

    async def second():
        await first_written.wait()
        async with world.scope(key.tenant_ids) as session:
            await ingest_tickets(session, key, tenant.id, "script", [ticket(2, opened=opened)])
        assert (await stored(world, tenant.id))[1] == {(opened.date(), "script"): (1, 0, 0)}
        second_committed.set()

    await asyncio.gather(first(), second())

    _, months = await stored(world, tenant.id)
    assert months == {(opened.date(), "script"): (2, 0, 0)}
    async with world.scope([tenant.id]) as session:
        stale = set(await session.scalars(select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == tenant.id)))
    assert stale == ({opened.date()} if months_back else set())
