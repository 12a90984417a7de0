"""Per-tenant change counters: what lets a stored answer know, exactly, that it is still true.

Every statement that writes rows of a watched table bumps the counter of each tenant it
touched, in the writer's own transaction (a statement-level trigger reading the statement's
transition tables), so a bump becomes visible in the same commit as the rows. A tenant's counter
is the sum of its rows in `tenant_versions`, one row per database backend that wrote it (a
backend runs one transaction at a time, so writers never wait for each other on a counter: a
single row per tenant made every writer of a tenant queue behind the others until commit, and
deadlocked a scoring batch against a PSA job that marks months stale). Rows only grow, so for a
fixed set of tenants the sum changes exactly when some of their data did. A reader reads that
sum before it reads the data; an answer stored under a sum is served only while the sum is
unchanged (app/api/compiled/answers.py).

`fold()` (a worker cron) moves the backends' rows into one row per tenant (backend 0) without
changing any sum, skipping rows a writer holds, so the rows a reader adds up stay few. Rows are
never deleted otherwise (no foreign key, no cascade): a tenant removed and imported again goes
on counting from where it was, so no sum can come back to a value an old answer was stored under.
The table holds no tenant data and has no row security; only its functions' owner writes it.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.sql.selectable import ScalarSelect

from app.tenants.models import TenantVersion

# Tenant tables that no stored answer reads: queues, the audit trail, and raw tickets (answers
# read the monthly figures in ticket_months, written in the same transaction). Writes to them do
# not bump, which keeps PSA ingestion to one bump per batch. tests/api/test_answer_cache.py
# fails if a compiled field reads one of them.
UNWATCHED = frozenset({"webhook_deliveries", "audit_events", "stale_health_months", "tickets"})

FUNCTION = "bump_tenant_versions"
FOLD = "fold_tenant_versions"


def owner_column(table: str) -> str:
    return "id" if table == "tenants" else "tenant_id"


def create_function() -> str:
    """The trigger function: one upsert per statement into this backend's rows. TRUNCATE bumps
    every tenant that has a counter.

    Static SQL is fine for every table: PL/pgSQL compiles a trigger function once per trigger,
    so each table's statements are planned against its own transition tables.
    """
    upsert = (
        "INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 "
        "FROM ({rows}) AS c(t) WHERE t IS NOT NULL ORDER BY t "
        "ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1"
    )
    return f"""
    CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        {upsert.format(rows="SELECT id FROM tenant_versions")};
      ELSIF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'id' THEN
        {upsert.format(rows="SELECT id FROM changed UNION ALL SELECT id FROM previous")};
      ELSIF TG_OP = 'UPDATE' THEN
        {upsert.format(rows="SELECT tenant_id FROM changed UNION ALL SELECT tenant_id FROM previous")};
      ELSIF TG_ARGV[0] = 'id' THEN
        {upsert.format(rows="SELECT id FROM changed")};
      ELSE
        {upsert.format(rows="SELECT tenant_id FROM changed")};
      END IF;
      RETURN NULL;
    END $$"""


def create_fold() -> str:
    """Move every backend row no writer holds into its tenant's backend-0 row, in one statement:
    each sum is the same before and after the commit. Returns the rows folded."""
    return f"""
    CREATE FUNCTION {FOLD}() RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
      WITH free AS (
        SELECT id, backend FROM tenant_versions WHERE backend <> 0 ORDER BY id, backend FOR UPDATE SKIP LOCKED
      ), folded AS (
        DELETE FROM tenant_versions v USING free WHERE v.id = free.id AND v.backend = free.backend
        RETURNING v.id, v.version
      ), base AS (
        INSERT INTO tenant_versions AS v (id, backend, version)
        SELECT id, 0, sum(version) FROM folded GROUP BY id ORDER BY id
        ON CONFLICT (id, backend) DO UPDATE SET version = v.version + excluded.version
      )
      SELECT CAST(count(*) AS integer) FROM folded
    $$"""


async def fold(session) -> int:
    """`fold_tenant_versions()` in the caller's transaction (the runtime role may only call it)."""
    return await session.scalar(text(f"SELECT {FOLD}()"))


def watch(table: str) -> list[str]:
    """The four triggers that keep `table`'s tenants' counters (one per event: a trigger with
    transition tables fires on one event only)."""
    column, name = owner_column(table), f"{table}_versions"
    call = f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{column}')"
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed {call}",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed {call}",
        f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} {call}",
    ]


def unwatch(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_versions_{event} ON {table}"
            for event in ("insert", "update", "delete", "truncate")]


def version_of(tenant_ids) -> ScalarSelect:
    """The sum of the counters of `tenant_ids` (an array expression)."""
    return (select(func.coalesce(func.sum(TenantVersion.version), 0))
            .where(TenantVersion.id == func.any(tenant_ids)).scalar_subquery())
