"""Figures kept from the rows written: every PSA source's monthly ticket counts (`ticket_months`,
migration 0008) and a tenant's spend per month (`spend_months`, 0009).

A write of tickets or spend holds what it changed in the figures (the rows' old state read under
their locks, so a concurrent writer of the same row is counted against the state it left), and
just before COMMIT each tenant's deltas are added by one call (`add_ticket_months`,
`add_spend_months`, migration 0020), rows in key order: a figure row is locked only while its
writer commits, never across its round trips, and concurrent writers all add up (increments
commute). The same on one node and on Citus, where triggers cannot keep them. A write that brings
its figures along (an import, the seed) or takes them with its rows (an offboarding) holds none.
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
    sums: dict = defaultdict(Decimal)
    for tenant_id, month, amount, _ in rows:
        sums[tenant_id, month] += amount
    for tenant_id in sorted({key[0] for key in sums}):
        keys = sorted(key for key in sums if key[0] == tenant_id)
        await session.execute(ADD_SPEND, {"tenant": tenant_id, "months": [k[1] for k in keys],
                                          "amounts": [sums[k] for k in keys]}, execution_options=written.declare([tenant_id]))
