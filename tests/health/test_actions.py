"""Scoring a batch: stored rows, idempotence, skipped tenants, stale marks, practice weights."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db.scope import savepoint, tenant_session
from app.errors import Forbidden, Invalid
from app.health.actions import score_batch, set_health_weights
from app.health.formula import DEFAULT_WEIGHTS, FORMULA_VERSION
from app.health.recompute import mark_stale
from app.tenants.models import Practice, Role, Tenant, TenantStatus
from app.tickets.models import TicketMonth
from tests.health.rows import (
    add,
    change_tenant,
    principal_of,
    stale_marks,
    stored_scores,
    without_computed_at,
)

MONTH = dt.date(2026, 10, 1)
V1_WEIGHTS = {"tickets": 0.25, "risks": 0.20, "budget": 0.15, "plan": 0.15, "policies": 0.15, "steering": 0.10}


async def test_a_batch_is_stored_with_its_inputs_and_a_rerun_changes_only_computed_at(world, sessionmaker):
    practice = await world.practice()
    busy, quiet = await world.tenant(practice, employee_count=40), await world.tenant(practice, employee_count=40)
    await add(sessionmaker, busy.id, TicketMonth(tenant_id=busy.id, month=MONTH, source="manual", support=16))
    await add(sessionmaker, quiet.id, TicketMonth(tenant_id=quiet.id, month=MONTH, source="manual", support=2))
    ids = [busy.id, quiet.id]

    assert await score_batch(sessionmaker, ids, MONTH) == 2
    first = await stored_scores(sessionmaker, ids, MONTH)
    assert await score_batch(sessionmaker, ids, MONTH) == 2
    second = await stored_scores(sessionmaker, ids, MONTH)

    assert without_computed_at(first) == without_computed_at(second)
    assert all(second[t]["computed_at"] > first[t]["computed_at"] for t in ids)
    busy_row = first[busy.id]
    tickets = busy_row["components"][0]
    assert tickets == {
        "key": "tickets", "score": 50, "weight": pytest.approx(0.20 / 0.30),
        "explanation": "16 tickets in 2026-10 against a target of 8 for 40 employees.",
    }
    # Tickets 50 (2/3) and policies 0 (1/3): the tenants were created after October (no steering).
    assert (busy_row["score"], busy_row["band"], busy_row["formula_version"]) == (33, "RED", 2)
    assert FORMULA_VERSION == 2
    assert busy_row["inputs"]["tickets"] == 16 and busy_row["inputs"]["month"] == "2026-10-01"
    assert first[quiet.id]["components"][0]["score"] == 100


async def test_offboarded_and_missing_tenants_are_skipped_not_failed(world, sessionmaker):
    practice = await world.practice()
    staying, leaving = await world.tenant(practice), await world.tenant(practice)
    await change_tenant(sessionmaker, leaving.id, status=TenantStatus.OFFBOARDED)
    gone = (await world.tenant(practice)).id
    async with tenant_session(sessionmaker, [gone]) as session:
        await session.delete(await session.get(Tenant, gone))

    assert await score_batch(sessionmaker, [staying.id, leaving.id, gone], MONTH) == 1
    assert set(await stored_scores(sessionmaker, [staying.id, leaving.id], MONTH)) == {staying.id}
    assert await score_batch(sessionmaker, [], MONTH) == 0


async def test_scoring_deletes_the_stale_marks_it_covered(world, sessionmaker):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    async with tenant_session(sessionmaker, [tenant.id]) as session:
        await mark_stale(session, tenant.id, MONTH)  # no queue attached: the mark alone is written
        await mark_stale(session, tenant.id, dt.date(2026, 9, 1))

    await score_batch(sessionmaker, [tenant.id], MONTH)

    assert await stale_marks(sessionmaker, [tenant.id]) == {(tenant.id, dt.date(2026, 9, 1))}


async def test_a_mark_made_in_a_savepoint_that_rolls_back_is_not_written(world, sessionmaker):
    """Marks are written at commit; a mutation undone by its savepoint (a domain error) takes its
    marks with it, and the marks made before it stay."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    async with tenant_session(sessionmaker, [tenant.id]) as session:
        await mark_stale(session, tenant.id, dt.date(2026, 9, 14))
        with pytest.raises(Invalid):
            async with savepoint(session):
                await mark_stale(session, tenant.id, dt.date(2026, 8, 1))
                raise Invalid("undone", [])

    assert await stale_marks(sessionmaker, [tenant.id]) == {(tenant.id, dt.date(2026, 9, 1))}


async def test_a_mark_committed_while_a_batch_is_scored_survives_it(world, sessionmaker):
    """The late write may be missed by the running batch, so its mark must outlive the batch."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    async with tenant_session(sessionmaker, [tenant.id]) as late_write:
        late_write.add(TicketMonth(tenant_id=tenant.id, month=MONTH, source="manual", support=99))
        await mark_stale(late_write, tenant.id, MONTH)
        await late_write.flush()
        # The batch runs while the write is still uncommitted: it sees neither the data nor the mark.
        await score_batch(sessionmaker, [tenant.id], MONTH)
    stored = await stored_scores(sessionmaker, [tenant.id], MONTH)
    assert stored[tenant.id]["inputs"]["tickets"] is None
    assert await stale_marks(sessionmaker, [tenant.id]) == {(tenant.id, MONTH)}

    await score_batch(sessionmaker, [tenant.id], MONTH)
    assert (await stored_scores(sessionmaker, [tenant.id], MONTH))[tenant.id]["inputs"]["tickets"] == 99
    assert await stale_marks(sessionmaker, [tenant.id]) == set()


async def test_a_practice_admin_sets_weights_that_the_next_scoring_uses(world, sessionmaker):
    practice = await world.practice()
    tenant = await world.tenant(practice, employee_count=40)
    await add(sessionmaker, tenant.id, TicketMonth(tenant_id=tenant.id, month=MONTH, source="manual", support=16))
    admin = await principal_of(world, practice)
    weights = {"tickets": 0.5, "policies": 0.0, "steering": 0.1, "risks": 0.1, "budget": 0.1, "plan": 0.1,
               "alignment": 0.05, "lifecycle": 0.05}

    async with tenant_session(sessionmaker, admin.tenant_ids) as session:
        await set_health_weights(session, admin, weights)
    await score_batch(sessionmaker, [tenant.id], MONTH)

    stored = (await stored_scores(sessionmaker, [tenant.id], MONTH))[tenant.id]
    assert stored["score"] == 50  # tickets alone carry weight now; policies (0) weigh nothing
    assert [c["weight"] for c in stored["components"]] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    async with tenant_session(sessionmaker, admin.tenant_ids) as session:
        events = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "practice.health_weights")))
        assert [(e.tenant_id, e.after["health_weights"]["tickets"]) for e in events] == [(tenant.id, 0.5)]
        await set_health_weights(session, admin, None)
        assert (await session.get(Practice, practice.id)).health_weights is None


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({**DEFAULT_WEIGHTS, "tickets": 0.3}, ["weights"]),  # sums to 1.1
        ({k: v for k, v in DEFAULT_WEIGHTS.items() if k != "plan"} | {"vendors": 0.10}, ["weights"]),
        ({k: v for k, v in DEFAULT_WEIGHTS.items() if k != "lifecycle"}, ["weights"]),  # alignment without lifecycle
        ({**V1_WEIGHTS, "tickets": 0.35}, ["weights"]),  # version 1's six must sum to 1 as well
        ({**DEFAULT_WEIGHTS, "tickets": 1.25, "risks": -1.0}, ["weights", "tickets"]),
        ({**DEFAULT_WEIGHTS, "plan": "0.15"}, ["weights", "plan"]),
    ],
)
async def test_invalid_weights_are_refused_and_nothing_changes(world, sessionmaker, weights, field):
    practice = await world.practice()
    admin = await principal_of(world, practice)
    with pytest.raises(Invalid) as refused:
        async with tenant_session(sessionmaker, admin.tenant_ids) as session:
            await set_health_weights(session, admin, weights)
    assert refused.value.field == field
    async with tenant_session(sessionmaker, ()) as session:
        assert (await session.get(Practice, practice.id)).health_weights is None


async def test_version_1_weights_carry_over_when_set_and_when_stored_before_version_2(world, sessionmaker):
    practice = await world.practice()
    tenant = await world.tenant(practice, employee_count=40)
    await add(sessionmaker, tenant.id, TicketMonth(tenant_id=tenant.id, month=MONTH, source="manual", support=16))
    admin = await principal_of(world, practice)
    own = {**V1_WEIGHTS, "tickets": 0.40, "risks": 0.05}  # a practice's own six, summing to 1
    carried = {"tickets": 0.3, "budget": 0.1125, "risks": 0.0375, "plan": 0.1125, "steering": 0.075,
               "policies": 0.1125, "alignment": 0.15, "lifecycle": 0.10}

    async with tenant_session(sessionmaker, admin.tenant_ids) as session:
        await set_health_weights(session, admin, own)
        assert (await session.get(Practice, practice.id)).health_weights == carried
        # As a practice's weights were stored before version 2: six keys, read through the carry-over.
        (await session.get(Practice, practice.id)).health_weights = own
    await score_batch(sessionmaker, [tenant.id], MONTH)

    stored = (await stored_scores(sessionmaker, [tenant.id], MONTH))[tenant.id]
    # Tickets 50 and policies 0 carry weight: 0.3 and 0.1125 of them.
    assert {c["key"]: c["weight"] for c in stored["components"] if c["score"] is not None} == pytest.approx(
        {"tickets": 0.3 / 0.4125, "policies": 0.1125 / 0.4125})
    assert stored["score"] == 36  # 50 * 0.3 / 0.4125 = 36.36


async def test_only_practice_admins_set_weights(world, sessionmaker):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    cio = await principal_of(world, practice, Role.CIO, tenants=[tenant])
    with pytest.raises(Forbidden):
        async with tenant_session(sessionmaker, cio.tenant_ids) as session:
            await set_health_weights(session, cio, dict(DEFAULT_WEIGHTS))
    async with tenant_session(sessionmaker, ()) as session:
        assert (await session.get(Practice, practice.id)).health_weights is None
