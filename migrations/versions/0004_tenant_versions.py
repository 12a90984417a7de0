"""tenant versions: a change counter per tenant (a row per writing backend), bumped by every write to its data

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

The SQL as this revision ran it (history: it imports nothing of `app`; app/db/versions.py says
what the counters are for). 0005 dropped the fold's `RETURNING 1`.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# `tenants` and every table with a tenant_id at this revision, but the unwatched queues, audit
# trail and raw tickets (webhook_deliveries, audit_events, stale_health_months, tickets). Each
# watched table's triggers name the column that holds its tenant.
WATCHED = {
    "tenants": "id",
    **{table: "tenant_id" for table in (
        "action_items", "budget_lines", "budget_spend", "budgets", "grants", "health_scores",
        "initiatives", "integrations", "it_plans", "policies", "risks", "steering_meetings",
        "ticket_months", "vendors",
    )},
}

# The trigger function: one upsert per statement into this backend's rows. TRUNCATE bumps every
# tenant that has a counter. Static SQL is fine for every table: PL/pgSQL compiles a trigger
# function once per trigger, so each table's statements are planned against its own transition
# tables.
CREATE_BUMP = """
    CREATE FUNCTION bump_tenant_versions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM (SELECT id FROM tenant_versions) AS c(t) WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
      ELSIF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'id' THEN
        INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM (SELECT id FROM changed UNION ALL SELECT id FROM previous) AS c(t) WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM (SELECT tenant_id FROM changed UNION ALL SELECT tenant_id FROM previous) AS c(t) WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
      ELSIF TG_ARGV[0] = 'id' THEN
        INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM (SELECT id FROM changed) AS c(t) WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
      ELSE
        INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM (SELECT tenant_id FROM changed) AS c(t) WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
      END IF;
      RETURN NULL;
    END $$"""

# Moves every backend row no writer holds into its tenant's backend-0 row, in one statement: each
# sum is the same before and after the commit. Returns the rows folded.
CREATE_FOLD = """
    CREATE FUNCTION fold_tenant_versions() RETURNS integer LANGUAGE sql SECURITY DEFINER
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
        RETURNING 1
      )
      SELECT CAST(count(*) AS integer) FROM folded
    $$"""

def upgrade() -> None:
    op.execute("CREATE TABLE tenant_versions (id uuid, backend integer, version bigint NOT NULL, "
               "PRIMARY KEY (id, backend))")
    op.execute("GRANT SELECT ON tenant_versions TO fcio_app")
    op.execute(CREATE_BUMP)
    op.execute(CREATE_FOLD)
    op.execute("REVOKE ALL ON FUNCTION fold_tenant_versions() FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION fold_tenant_versions() TO fcio_app")
    # One trigger per event: a trigger with transition tables fires on one event only.
    for table, column in WATCHED.items():
        call = f"FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('{column}')"
        op.execute(f"CREATE TRIGGER {table}_versions_insert AFTER INSERT ON {table} "
                   f"REFERENCING NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_update AFTER UPDATE ON {table} "
                   f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_delete AFTER DELETE ON {table} "
                   f"REFERENCING OLD TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_truncate AFTER TRUNCATE ON {table} {call}")


def downgrade() -> None:
    for table in WATCHED:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_versions_{event} ON {table}")
    op.execute("DROP FUNCTION fold_tenant_versions()")
    op.execute("DROP FUNCTION bump_tenant_versions()")
    op.execute("DROP TABLE tenant_versions")
