"""practice scope: a practice-wide tenant scope for admins, and a practice's change counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A practice admin sees every ACTIVE tenant of the practice. Until now the transaction listed them
all in `app.tenant_ids`, which row security matches linearly per row (DESIGN.md, "Tenancy at
scale"): 5,000 tenants made every row read cost 5,000 comparisons. A transaction may now set
`app.practice_id` instead, and the policy lets a row through when its tenant is listed or is an
ACTIVE tenant of that practice: one probe of the tenants primary key per row, whatever the
practice's size. The probe is a correlated subquery on purpose: written as a plain EXISTS, the
planner turns it into a hash of every tenant of the practice, built once per table a statement
reads (1.4 ms per table at 5,000 tenants, before reading a row); `OFFSET 0` keeps it a probe.

`practice_versions` is `tenant_versions` for a practice (app/db/versions.py): `roster` counts
writes to the practice's tenants rows (who its tenants are), `data` writes to any of its tenants'
data, so an admin's stored answers and tenant list are checked against two sums of a few rows
instead of one per tenant. The same trigger function bumps both; the fold folds both.

The tenants index on (practice_id, name, id) serves a practice admin's tenant pages in order.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "it_plans", "initiatives", "risks", "budgets", "budget_lines", "budget_spend", "tickets",
    "ticket_months", "policies", "vendors", "steering_meetings", "action_items", "health_scores",
    "stale_health_months", "webhook_deliveries", "audit_events",
)
LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"


def tenant_match(table: str) -> str:
    return (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = {table}.tenant_id AND t.status = 'ACTIVE' "
            "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")


# Each branch: the tenants a statement touched get their counter bumped, as in 0004, and so do
# their practices (`data`, and `roster` when the statement wrote the tenants table itself).
TOUCHED = {
    "tenants": "SELECT id, practice_id FROM {rows}",
    "other": "SELECT c.tenant_id, t.practice_id FROM {rows} c LEFT JOIN tenants t ON t.id = c.tenant_id",
}
BUMP_BOTH = """
        WITH touched (t, p) AS ({touched}), bumped AS (
          INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM touched WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1
        )
        INSERT INTO practice_versions AS v (id, backend, roster, data) SELECT DISTINCT p, pg_backend_pid(), {roster}, 1 FROM touched WHERE p IS NOT NULL ORDER BY p ON CONFLICT (id, backend) DO UPDATE SET roster = v.roster + excluded.roster, data = v.data + 1;"""


def bump(kind: str, rows: str) -> str:
    touched = TOUCHED[kind].format(rows=rows)
    return BUMP_BOTH.format(touched=touched, roster=1 if kind == "tenants" else 0)


CREATE_BUMP = f"""
    CREATE OR REPLACE FUNCTION bump_tenant_versions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO tenant_versions AS v (id, backend, version) SELECT DISTINCT t, pg_backend_pid(), 1 FROM (SELECT id FROM tenant_versions) AS c(t) WHERE t IS NOT NULL ORDER BY t ON CONFLICT (id, backend) DO UPDATE SET version = v.version + 1;
        INSERT INTO practice_versions AS v (id, backend, roster, data) SELECT id, pg_backend_pid(), 1, 1 FROM practices ORDER BY id ON CONFLICT (id, backend) DO UPDATE SET roster = v.roster + 1, data = v.data + 1;
      ELSIF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'id' THEN{bump("tenants", "(SELECT * FROM changed UNION ALL SELECT * FROM previous) AS r")}
      ELSIF TG_OP = 'UPDATE' THEN{bump("other", "(SELECT tenant_id FROM changed UNION ALL SELECT tenant_id FROM previous)")}
      ELSIF TG_ARGV[0] = 'id' THEN{bump("tenants", "changed")}
      ELSE{bump("other", "changed")}
      END IF;
      RETURN NULL;
    END $$"""

# The bump as 0004 created it (the downgrade puts it back).
CREATE_BUMP_0004 = """
    CREATE OR REPLACE FUNCTION bump_tenant_versions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
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

# The fold as 0005 left it, and the same with the practices' rows folded too (each sum is the same
# before and after). Returns the rows folded.
FOLD_HEAD = """
    CREATE OR REPLACE FUNCTION fold_tenant_versions() RETURNS integer LANGUAGE sql SECURITY DEFINER
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
      )"""
CREATE_FOLD_0005 = FOLD_HEAD + """
      SELECT CAST(count(*) AS integer) FROM folded
    $$"""
CREATE_FOLD = FOLD_HEAD + """, practice_free AS (
        SELECT id, backend FROM practice_versions WHERE backend <> 0 ORDER BY id, backend FOR UPDATE SKIP LOCKED
      ), practice_folded AS (
        DELETE FROM practice_versions v USING practice_free f WHERE v.id = f.id AND v.backend = f.backend
        RETURNING v.id, v.roster, v.data
      ), practice_base AS (
        INSERT INTO practice_versions AS v (id, backend, roster, data)
        SELECT id, 0, sum(roster), sum(data) FROM practice_folded GROUP BY id ORDER BY id
        ON CONFLICT (id, backend) DO UPDATE SET roster = v.roster + excluded.roster, data = v.data + excluded.data
      )
      SELECT CAST((SELECT count(*) FROM folded) + (SELECT count(*) FROM practice_folded) AS integer)
    $$"""


def upgrade() -> None:
    op.execute("CREATE TABLE practice_versions (id uuid, backend integer, roster bigint NOT NULL, "
               "data bigint NOT NULL, PRIMARY KEY (id, backend))")
    op.execute("GRANT SELECT ON practice_versions TO fcio_app")
    op.execute(CREATE_BUMP)
    op.execute(CREATE_FOLD)
    for table in TENANT_TABLES:
        op.execute(f"ALTER POLICY tenant_isolation ON {table} USING ({tenant_match(table)})")
    op.execute("CREATE INDEX ix_tenants_practice_id_name ON tenants (practice_id, name, id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_tenants_practice_id_name")
    for table in TENANT_TABLES:
        op.execute(f"ALTER POLICY tenant_isolation ON {table} USING ({LISTED})")
    op.execute(CREATE_FOLD_0005)
    op.execute(CREATE_BUMP_0004)
    op.execute("DROP TABLE practice_versions")
