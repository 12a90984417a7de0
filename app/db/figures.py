"""Figures kept from the rows written: every PSA source's monthly ticket counts (`ticket_months`,
migration 0008), a tenant's spend per month (`spend_months`, 0009) and each budget's planned total
(`budgets.planned`, 0021).

A write of tickets, spend or a line's planned amount holds what it changed in the figures (the
rows' old state read under their locks, or checked by the line's version, so a concurrent writer
of the same row is counted against the state it left), and just before COMMIT each tenant's
deltas are added by one call (`add_ticket_months`, `add_spend_months`, migration 0020;
`add_budget_planned`, 0021), rows in key order: a figure row is locked only while its writer
commits, never across its round trips, and concurrent writers all add up (increments commute).
The same on one node and on Citus, where triggers cannot keep them. A write that brings its
figures along (an import, the seed) or takes them with its rows (an offboarding) holds none.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import text

from app.db import written
from app.db.scope import at_commit

ADD_TICKETS = text("SELECT add_ticket_months(:tenant, CAST(:months AS date[]), CAST(:sources AS text[]), "
                   "CAST(:supports AS integer[]), CAST(:changes AS integer[]), CAST(:alerts AS integer[]))")
ADD_SPEND = text("SELECT add_spend_months(:tenant, CAST(:months AS date[]), CAST(:amounts AS numeric[]))")
ADD_PLANNED = text("SELECT add_budget_planned(:tenant, CAST(:budgets AS uuid[]), CAST(:amounts AS numeric[]))")
CATEGORIES = ("SUPPORT", "CHANGE", "ALERT")
# Held rows are a set: each delta is told apart from an equal one by its place in this count.
_held = itertools.count()


def ticket_moved(session, tenant_id: uuid.UUID, source: str, month: dt.date, category: str, sign: int) -> None:
    """One ticket of `source` counts in (`sign` 1) or no longer in (-1) `month` as `category`."""
    at_commit(session, add_ticket_deltas, (tenant_id, month, source, category, sign, next(_held)))


def spend_changed(session, tenant_id: uuid.UUID, month: dt.date, amount: Decimal) -> None:
    """The tenant's spend in `month` changed by `amount`."""
    if amount:
        at_commit(session, add_spend_deltas, (tenant_id, month, amount, next(_held)))


def planned_changed(session, tenant_id: uuid.UUID, budget_id: uuid.UUID, amount: Decimal) -> None:
    """The planned total of the tenant's budget changed by `amount` (a line added, deleted or re-planned)."""
    if amount:
        at_commit(session, add_planned_deltas, (tenant_id, budget_id, amount, next(_held)))


async def add_ticket_deltas(session, rows: set) -> None:
    """At commit: the held ticket deltas, summed per tenant, month and source, one call per tenant."""
    sums: dict = defaultdict(lambda: [0, 0, 0])
    for tenant_id, month, source, category, sign, _ in rows:
        sums[tenant_id, month, source][CATEGORIES.index(category)] += sign
    for tenant_id in sorted({key[0] for key in sums}):
        keys = sorted(key for key in sums if key[0] == tenant_id)
        await session.execute(ADD_TICKETS, {"tenant": tenant_id, "months": [k[1] for k in keys],
                                            "sources": [k[2] for k in keys],
                                            **{name: [sums[k][i] for k in keys]
                                               for i, name in enumerate(("supports", "changes", "alerts"))}},
                              execution_options=written.declare([tenant_id]))


async def add_spend_deltas(session, rows: set) -> None:
    """At commit: the held spend deltas, summed per tenant and month, one call per tenant."""
    await _add_amounts(session, rows, ADD_SPEND, "months")


async def add_planned_deltas(session, rows: set) -> None:
    """At commit: the held changes of planned totals, summed per tenant and budget, one call per tenant."""
    await _add_amounts(session, rows, ADD_PLANNED, "budgets")


async def _add_amounts(session, rows: set, statement, keys: str) -> None:
    """Held (tenant, key, amount, n) rows summed per tenant and key, added by `statement` (its
    `keys` and `amounts` arrays in key order) once per tenant, tenants in order."""
    sums: dict = defaultdict(Decimal)
    for tenant_id, key, amount, _ in rows:
        sums[tenant_id, key] += amount
    for tenant_id in sorted({tenant for tenant, _ in sums}):
        held = sorted(key for tenant, key in sums if tenant == tenant_id)
        await session.execute(statement, {"tenant": tenant_id, keys: held, "amounts": [sums[tenant_id, k] for k in held]},
                              execution_options=written.declare([tenant_id]))
