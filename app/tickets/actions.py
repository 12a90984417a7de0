"""Tickets in (from PSA webhooks and the bulk push) and the monthly figures derived from them.

A ticket is upserted on `(tenant_id, source, external_id)`. A write never rolls a ticket back:
it applies only when its vendor sequence (or, without one, its vendor update time) is not older
than the stored one. Month figures for every source but `manual` are kept from the stored
tickets, by the month they were opened in (UTC): each write adds what its new rows count and
takes away what the rows it replaced counted, at commit (app/db/figures.py), so the figures stay
exact, concurrent writers included, without recounting a month. A `ticket_months` row exists
exactly when tickets were opened in that month. A change to a month that has already been scored
marks it stale for the health recompute.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.db import figures
from app.db.base import uuid7
from app.errors import DomainError, Forbidden, Invalid, Limit
from app.guards import require_writer, visible_tenant
from app.health.recompute import mark_stale
from app.months import current_month, month_start, parse_month
from app.tickets.models import MANUAL_SOURCE, TicketCategory, TicketMonth

MAX_BATCH = 1000
MAX_COUNT = 1_000_000
# A deleted ticket is kept as a tombstone (so a late, older event cannot bring it back) and
# is left out of every count.
DELETED_STATUS = "deleted"


@dataclass(frozen=True)
class TicketRow:
    """One ticket's full state as it should be stored."""

    external_id: str
    category: TicketCategory
    opened_at: dt.datetime
    title: str | None = None
    status: str | None = None
    priority: str | None = None
    closed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    sequence: int | None = None
    attributes: dict | None = None


@dataclass(frozen=True)
class TicketInput:
    """A ticket of the bulk push, as the caller sent it (validated by `ingest_tickets`)."""

    external_id: str
    category: str
    opened_at: dt.datetime
    priority: str | None = None
    title: str | None = None
    closed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclass
class IngestResult:
    accepted: int = 0
    errors: list[DomainError] = field(default_factory=list)


UPSERT = text("""
WITH input AS (
  SELECT * FROM unnest(
    CAST(:ids AS uuid[]), CAST(:external_ids AS text[]), CAST(:categories AS text[]), CAST(:titles AS text[]),
    CAST(:statuses AS text[]), CAST(:priorities AS text[]), CAST(:opened AS timestamptz[]),
    CAST(:closed AS timestamptz[]), CAST(:updated AS timestamptz[]), CAST(:sequences AS bigint[]),
    CAST(:attributes AS text[])
  ) AS i(id, external_id, category, title, status, priority, opened_at, closed_at, updated_at, sequence, attributes)
),
up AS (
  INSERT INTO tickets AS t (tenant_id, id, source, external_id, category, title, status, priority, opened_at,
                            closed_at, source_updated_at, source_sequence, attributes)
  SELECT :tenant_id, id, :source, external_id, category::ticket_category, title, status, priority, opened_at,
         closed_at, updated_at, sequence, attributes::jsonb
  FROM input
  ON CONFLICT (tenant_id, source, external_id) DO UPDATE SET
    category = excluded.category, title = excluded.title, status = excluded.status,
    priority = excluded.priority, opened_at = excluded.opened_at, closed_at = excluded.closed_at,
    source_updated_at = coalesce(excluded.source_updated_at, t.source_updated_at),
    source_sequence = coalesce(excluded.source_sequence, t.source_sequence),
    attributes = excluded.attributes, updated_at = excluded.updated_at  -- the default, now(): Citus refuses a function here
  WHERE CASE
      WHEN excluded.source_sequence IS NOT NULL AND t.source_sequence IS NOT NULL
        THEN excluded.source_sequence >= t.source_sequence
      WHEN excluded.source_updated_at IS NOT NULL AND t.source_updated_at IS NOT NULL
        THEN excluded.source_updated_at >= t.source_updated_at
      ELSE true END
    AND (t.category, t.title, t.status, t.priority, t.opened_at, t.closed_at, t.attributes)
        IS DISTINCT FROM (excluded.category, excluded.title, excluded.status, excluded.priority,
                          excluded.opened_at, excluded.closed_at, excluded.attributes)
    AND t.external_id = ANY (CAST(:locked AS text[]))  -- its old state is the one LOCK read
  RETURNING t.external_id, t.opened_at, t.category, t.status
)
SELECT external_id, date_trunc('month', opened_at AT TIME ZONE 'UTC')::date, CAST(category AS text), status FROM up
""")
# The stored tickets of a batch, locked in key order (two batches never deadlock) before the upsert
# reads them: their state is then the one the upsert replaces. One probe of the unique index per id.
LOCK = text("""
SELECT external_id, date_trunc('month', opened_at AT TIME ZONE 'UTC')::date, CAST(category AS text), status
FROM tickets WHERE tenant_id = :tenant_id AND source = :source AND external_id = ANY (CAST(:external_ids AS text[]))
ORDER BY external_id FOR UPDATE
""")

def opened_month(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date().replace(day=1)


async def upsert_tickets(
    session: AsyncSession, tenant_id: uuid.UUID, source: str, rows: Sequence[TicketRow]
) -> set[dt.date]:
    """Store `rows` (newer state only); returns the months whose figures changed, past ones marked stale."""
    months = await write_tickets(session, tenant_id, source, rows)
    await mark_past_months_stale(session, tenant_id, months)
    return months


def counted(month: dt.date | None, category: str | None, status: str | None) -> tuple[dt.date, str] | None:
    """Where a ticket counts: its month and category, or nowhere (no ticket, or a tombstone)."""
    return None if month is None or status == DELETED_STATUS else (month, category)


async def write_tickets(
    session: AsyncSession, tenant_id: uuid.UUID, source: str, rows: Sequence[TicketRow]
) -> set[dt.date]:
    """Store `rows` (newer state only); returns the months whose figures the write changed.

    A ticket that moved, changed category or was deleted changes the month it counted in and the
    one it counts in now: both are held for the figures at commit (app/db/figures.py). The old
    state is the one the write replaces: the stored tickets are locked first, and a ticket another
    writer inserted meanwhile (not locked, so not updated) is written again in a round of its own.
    """
    months: set[dt.date] = set()
    while rows:
        locked = {external_id: counted(*where) for external_id, *where in (await session.execute(
            LOCK, {"tenant_id": tenant_id, "source": source, "external_ids": [r.external_id for r in rows]}))}
        written = await upsert_round(session, tenant_id, source, rows, locked)
        for external_id, *where in written:
            before, after = locked.get(external_id), counted(*where)
            if before != after:
                for place, sign in ((before, -1), (after, 1)):
                    if place is not None:
                        figures.ticket_moved(session, tenant_id, source, *place, sign)
                        months.add(place[0])
        done = locked.keys() | {external_id for external_id, *_ in written}
        rows = [r for r in rows if r.external_id not in done]
    return months


async def upsert_round(session: AsyncSession, tenant_id: uuid.UUID, source: str, rows: Sequence[TicketRow],
                       locked: dict) -> list:
    """One upsert of `rows`: (external id, month, category, status) of each ticket it wrote."""
    await use_custom_plans(session)
    result = await session.execute(
        UPSERT,
        {
            "tenant_id": tenant_id,
            "source": source,
            "locked": list(locked),
            "ids": [uuid7() for _ in rows],
            "external_ids": [r.external_id for r in rows],
            "categories": [r.category.value for r in rows],
            "titles": [r.title for r in rows],
            "statuses": [r.status for r in rows],
            "priorities": [r.priority for r in rows],
            "opened": [r.opened_at for r in rows],
            "closed": [r.closed_at for r in rows],
            "updated": [r.updated_at for r in rows],
            "sequences": [r.sequence for r in rows],
            "attributes": [None if r.attributes is None else json.dumps(r.attributes) for r in rows],
        },
    )
    return result.all()


async def use_custom_plans(session: AsyncSession) -> None:
    """Plan the upsert for the rows at hand, once per transaction (a webhook batch writes many times).

    A prepared statement's generic plan (chosen after five runs) cannot see how many rows the
    arrays hold and degrades with the table's size (1,400 tickets/s instead of 17,000 at 30k rows).
    """
    transaction = session.get_transaction()
    if session.info.get("custom_plans") is not transaction:
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        session.info["custom_plans"] = transaction


async def mark_past_months_stale(session: AsyncSession, tenant_id: uuid.UUID, months: Iterable[dt.date]) -> None:
    """Months before the current one may already be scored: their score must be recomputed."""

    current = current_month()
    for month in sorted(m for m in months if m < current):
        await mark_stale(session, tenant_id, month)


def _instant(value: dt.datetime | None, path: list[str], required: bool = False) -> dt.datetime | None:
    if value is None:
        if required:
            raise Invalid(f"{path[-1]} is required.", path)
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise Invalid(f"{path[-1]} must be a date and time with an offset, e.g. 2026-11-24T09:30:00Z.", path)
    return value


def _ticket_row(index: int, ticket: TicketInput) -> TicketRow:
    """The ticket validated; `Invalid` names `["tickets", index, field]`."""
    path = ["tickets", str(index)]

    def checked(value, name, max_length, required=False):
        try:
            return v.text(value, name, max_length=max_length, required=required)
        except Invalid as error:
            raise Invalid(error.message, [*path, name]) from None

    external_id = checked(ticket.external_id, "externalId", 200, required=True)
    try:
        category = TicketCategory(str(ticket.category).upper())
    except ValueError:
        raise Invalid("category must be SUPPORT, CHANGE or ALERT.", [*path, "category"]) from None
    opened_at = _instant(ticket.opened_at, [*path, "openedAt"], required=True)
    closed_at = _instant(ticket.closed_at, [*path, "closedAt"])
    if closed_at is not None and closed_at < opened_at:
        raise Invalid("closedAt must not be before openedAt.", [*path, "closedAt"])
    return TicketRow(
        external_id=external_id,
        category=category,
        opened_at=opened_at,
        title=checked(ticket.title, "title", 500),
        priority=checked(ticket.priority, "priority", 50),
        closed_at=closed_at,
        updated_at=_instant(ticket.updated_at, [*path, "updatedAt"]),
    )


def _newest_per_ticket(rows: list[TicketRow]) -> list[TicketRow]:
    """One row per external id (one statement cannot upsert a row twice): the later, unless older."""
    chosen: dict[str, TicketRow] = {}
    for row in rows:
        seen = chosen.get(row.external_id)
        if seen is None or not (seen.updated_at and row.updated_at and row.updated_at < seen.updated_at):
            chosen[row.external_id] = row
    return list(chosen.values())


async def push_source(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, source: str, count: int, what: str
) -> str:
    """The checks of every bulk push (`what`: "tickets", "assets"), before any row is read; the source, trimmed.

    The tenant must be visible, the caller an admin, a CIO or an API key, the batch at most
    MAX_BATCH, and the source not `manual` (reserved for what is entered by hand).
    """
    await visible_tenant(session, actor, tenant_id)
    if not actor.can_push_data:
        raise Forbidden(f"This account may not write {what}.")
    source = v.text(source, "source", max_length=100)
    if source.lower() == MANUAL_SOURCE:
        raise Invalid(f"The source {MANUAL_SOURCE!r} is reserved for what is entered by hand.", ["source"])
    if count > MAX_BATCH:
        raise Limit(f"At most {MAX_BATCH} {what} per call; split the batch.", [what])
    return source


async def ingest_tickets(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, source: str, tickets: Sequence[TicketInput]
) -> IngestResult:
    """The bulk push: good tickets are stored even when others in the batch are reported as errors."""
    source = await push_source(session, actor, tenant_id, source, len(tickets), "tickets")
    result, rows = IngestResult(), []
    for index, ticket in enumerate(tickets):
        try:
            rows.append(_ticket_row(index, ticket))
        except Invalid as error:
            result.errors.append(error)
    result.accepted = len(rows)
    changed = await upsert_tickets(session, tenant_id, source, _newest_per_ticket(rows))
    await record(
        session, actor, tenant_id, "tickets.ingest", "Ticket", None, None,
        {"source": source, "accepted": result.accepted, "rejected": len(result.errors),
         "months_changed": sorted(m.isoformat() for m in changed)},
    )
    return result


async def record_ticket_metrics(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    month: dt.date | str,
    support: int,
    change: int,
    alert: int,
) -> TicketMonth:
    """Hand-entered figures for a month (source `manual`): they replace that month's earlier ones."""
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    month = parse_month(month) if isinstance(month, str) else month_start(month)
    for name, value in (("support", support), ("change", change), ("alert", alert)):
        v.int_range(value, name, 0, MAX_COUNT)
    row = await session.get(TicketMonth, (tenant_id, month, MANUAL_SOURCE))
    before = snapshot(row) if row else None
    if row is None:
        row = TicketMonth(tenant_id=tenant_id, month=month, source=MANUAL_SOURCE)
        session.add(row)
    row.support, row.change, row.alert = support, change, alert
    await session.flush()
    after = snapshot(row)
    if before != after:
        await mark_past_months_stale(session, tenant_id, [month])
    await record(session, actor, tenant_id, "ticket_month.set", "TicketMonth", month.isoformat(), before, after)
    return row
