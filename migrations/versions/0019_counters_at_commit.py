"""change counters at commit: the app bumps the tenants each transaction wrote, the triggers go

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

Until now statement triggers on every watched table bumped `tenant_versions` and
`practice_versions` (0004, 0006 and each later table's own). Citus refuses to distribute a table
with triggers and cannot run these on its shards (infra/README.md, "Triggers on Citus"), so on
both engines the app's sessions now see every write and hold its tenants, and one statement
just before COMMIT calls `bump_versions` (app/db/written.py): the same increments, rows in key
order, one per tenant written per transaction instead of one per statement. The function is the
only writer of the counters, as the trigger function was: the runtime role may only call it.

It runs on the node the app talks to (on a coordinator the counters are reference tables): the
backend id and the practices are computed first, so each row is written as a value, the same on
every copy. A practice's `data` moves for each tenant written (its practice read from `tenants`)
and for each practice in `roster` (the practices a written tenants row was or is in), whose
`roster` moves too.
"""

from alembic import context, op
from sqlalchemy import bindparam, text

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

CREATE_BUMP = """
    CREATE FUNCTION bump_versions(tenant_ids uuid[], roster uuid[]) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
    DECLARE
      me integer := pg_backend_pid();
      practices uuid[];
      rosters integer[];
    BEGIN
      INSERT INTO tenant_versions AS v (id, backend, version)
      SELECT DISTINCT t, me, 1 FROM unnest(tenant_ids) AS t WHERE t IS NOT NULL ORDER BY t
      ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
      SELECT array_agg(p ORDER BY p), array_agg(r ORDER BY p) INTO practices, rosters FROM (
        SELECT p, max(r) AS r FROM (
          SELECT practice_id, 0 FROM tenants WHERE id = ANY (tenant_ids)
          UNION ALL SELECT unnest(roster), 1
        ) AS c(p, r) WHERE p IS NOT NULL GROUP BY p
      ) AS touched;
      INSERT INTO practice_versions AS v (id, backend, roster, data)
      SELECT p, me, r, 1 FROM unnest(practices, rosters) AS u(p, r) ORDER BY p
      ON CONFLICT (id, backend) DO UPDATE SET roster = v.roster + excluded.roster, data = v.data + 1;
    END $$"""

# Every trigger of the functions named, whatever table it is on. Only those found: on a Citus
# coordinator `fcio migrate` had dropped them already, and Citus refuses any DROP TRIGGER on a
# distributed table, IF EXISTS too.
DROP_TRIGGERS = """
    DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT t.tgrelid::regclass AS rel, t.tgname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE p.proname IN ({functions}) AND NOT t.tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
      END LOOP;
    END $$"""

# 0018's watched tables: tenants, and every table with a tenant_id but these.
UNWATCHED = ("webhook_deliveries", "audit_events", "stale_health_months", "tickets",
             "ticket_months_pending", "spend_months_pending")
WATCHED_0018 = """
    SELECT 'tenants', 'id' UNION ALL
    SELECT table_name, 'tenant_id' FROM information_schema.columns
    WHERE table_schema = 'public' AND column_name = 'tenant_id' AND table_name <> ALL (:unwatched)"""


def upgrade() -> None:
    op.execute(DROP_TRIGGERS.format(functions="'bump_tenant_versions'"))
    op.execute("DROP FUNCTION bump_tenant_versions()")
    op.execute(CREATE_BUMP)
    op.execute("REVOKE ALL ON FUNCTION bump_versions(uuid[], uuid[]) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION bump_versions(uuid[], uuid[]) TO fcio_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION bump_versions(uuid[], uuid[])")
    op.execute(context.script.get_revision("0006").module.CREATE_BUMP)
    watched = op.get_bind().execute(text(WATCHED_0018).bindparams(bindparam("unwatched", list(UNWATCHED)))).all()
    for table, column in watched:
        call = f"FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('{column}')"
        op.execute(f"CREATE TRIGGER {table}_versions_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_update AFTER UPDATE ON {table} "
                   f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_truncate AFTER TRUNCATE ON {table} {call}")
