"""Per-tenant change counters: what lets a stored answer know, exactly, that it is still true.

Every transaction that writes rows of a watched table bumps the counter of each tenant it
wrote, just before its COMMIT (app/db/written.py sees every write; until migration 0019 statement
triggers did, which Citus cannot run), so a bump becomes visible in the same commit as the rows. A
tenant's counter is the sum of its rows in `tenant_versions`, one row per database backend that
wrote it (a backend runs one transaction at a time, so writers never wait for each other on a
counter: a single row per tenant made every writer of a tenant queue behind the others until
commit, and deadlocked a scoring batch against a PSA job that marks months stale). Rows only
grow, so for a fixed set of tenants the sum changes exactly when some of their data did. A reader reads that
sum before it reads the data; an answer stored under a sum is served only while the sum is
unchanged (app/api/compiled/answers.py).

`fold()` (a worker cron) moves the backends' rows into one row per tenant (backend 0) without
changing any sum, skipping rows a writer holds, so the rows a reader adds up stay few. Rows are
never deleted otherwise (no foreign key, no cascade): a tenant removed and imported again goes
on counting from where it was, so no sum can come back to a value an old answer was stored under.
The table holds no tenant data and has no row security; only its functions' owner writes it.

A practice has the same kind of counters (`practice_versions`, migration 0006), bumped by the
same statement at commit: `data` for a write to any of its tenants' data, `roster` for a write to its
tenants rows. What sees a whole practice checks those two sums of a few rows, not one per tenant:
`data` for stored answers, `roster` for the practice's tenant set (app/auth/roster.py).

The tables and the fold are created by migrations (0004, 0005, 0006), the bump by 0019. Every
tenant table is watched but those in UNWATCHED (`WATCHED`, from the models): a new tenant table
is watched from its first write, or declared unwatched here.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, cast, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.selectable import ScalarSelect

from app.models import Base
from app.tenants.models import PracticeVersion, TenantVersion

# Tenant tables that no stored answer reads: queues, the audit trail and raw tickets (answers read
# the monthly figures in ticket_months, written in the same transaction). Writes to them do not
# bump, which keeps PSA ingestion to one bump per batch. tests/api/test_answer_cache.py fails if a
# compiled field reads one of them.
UNWATCHED = frozenset({"webhook_deliveries", "audit_events", "stale_health_months", "tickets"})

# Each watched table, and the column that holds its rows' tenant.
WATCHED = {"tenants": "id", **{table.name: "tenant_id" for table in Base.metadata.tables.values()
                              if "tenant_id" in table.c and table.name not in UNWATCHED}}
FOLD = "fold_tenant_versions"


async def fold(session) -> int:
    """`fold_tenant_versions()` in the caller's transaction (the runtime role may only call it)."""
    return await session.scalar(text(f"SELECT {FOLD}()"))


def versions_of(tenant_ids) -> ScalarSelect:
    """The counter of each of `tenant_ids` (an array expression), in the array's order: what lets a
    stored answer about some of them depend on theirs only (`Principal.version_of`)."""
    given = func.unnest(tenant_ids).table_valued("id", with_ordinality="n").render_derived()
    own = (select(func.coalesce(func.sum(TenantVersion.version), 0))
           .where(TenantVersion.id == given.c.id).scalar_subquery())
    return select(func.array_agg(aggregate_order_by(cast(own, BigInteger), given.c.n))).select_from(given).scalar_subquery()


def practice_counter(practice_id, which: str) -> ScalarSelect:
    """The sum of a practice's `roster` or `data` counter (a value or a column expression)."""
    total = func.coalesce(func.sum(getattr(PracticeVersion, which)), 0)
    return select(cast(total, BigInteger)).where(PracticeVersion.id == practice_id).scalar_subquery()
