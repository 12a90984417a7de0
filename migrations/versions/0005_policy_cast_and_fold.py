"""policy cast and fold: what 0002 and 0004 ran, brought to the definitions the code has used since

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Until migrations held their own SQL, 0002 and 0004 read theirs from app/db, which changed after
they were written: a database migrated before the change kept the old policy and fold, one
created after got the new ones from the same revisions. This revision gives both today's; on a
database that already has them it changes nothing.

- The tenant policy casts the id list inside its subquery too, so the list is parsed once per
  statement, not once per written row (85 us a row with 200 tenants in scope before, measured by
  the seed); the outer cast keeps the planner reading `= ANY (array)` rather than a subquery.
- The fold's last CTE runs without a `RETURNING` (nothing reads it).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "it_plans", "initiatives", "risks", "budgets", "budget_lines", "budget_spend", "tickets",
    "ticket_months", "policies", "vendors", "steering_meetings", "action_items", "health_scores",
    "stale_health_months", "webhook_deliveries", "audit_events",
)
TENANT_MATCH = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
TENANT_MATCH_0002 = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), ''))::uuid[])"

# The fold as 0004 created it, less its last CTE's RETURNING (the downgrade puts it back).
FOLD = """
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
        ON CONFLICT (id, backend) DO UPDATE SET version = v.version + excluded.version{returning}
      )
      SELECT CAST(count(*) AS integer) FROM folded
    $$"""


def upgrade() -> None:
    for table in TENANT_TABLES:
        op.execute(f"ALTER POLICY tenant_isolation ON {table} USING ({TENANT_MATCH})")
    op.execute(FOLD.format(returning=""))  # CREATE OR REPLACE keeps the owner and the grants


def downgrade() -> None:
    for table in TENANT_TABLES:
        op.execute(f"ALTER POLICY tenant_isolation ON {table} USING ({TENANT_MATCH_0002})")
    op.execute(FOLD.format(returning="\n        RETURNING 1"))
