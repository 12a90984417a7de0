"""tenancy: the runtime role, row-level security on every tenant-owned table, and grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

The SQL as this revision first ran it (history: it imports nothing of `app`). The policy reads
the transaction-local `app.tenant_ids`; the scalar subquery makes the planner evaluate it once
(an InitPlan) and still use the primary-key index. No setting: no rows. The USING clause doubles
as WITH CHECK, so a row of another tenant can be neither read nor written. 0005 moved the cast
into the subquery.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GLOBAL_TABLES = ("practices", "users", "tenants", "grants", "api_keys", "integrations")
TENANT_TABLES = (
    "it_plans", "initiatives", "risks", "budgets", "budget_lines", "budget_spend", "tickets",
    "ticket_months", "policies", "vendors", "steering_meetings", "action_items", "health_scores",
    "stale_health_months", "webhook_deliveries", "audit_events",
)
TENANT_MATCH = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), ''))::uuid[])"


def upgrade() -> None:
    op.execute("""DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fcio_app') THEN
            CREATE ROLE fcio_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$""")
    # The URL's role must be able to `SET ROLE fcio_app` at connect.
    op.execute("GRANT fcio_app TO current_user")
    op.execute("GRANT USAGE ON SCHEMA public TO fcio_app")
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_MATCH})")
    for table in GLOBAL_TABLES + TENANT_TABLES:
        # The audit trail is append-only for the app.
        privileges = "SELECT, INSERT" if table == "audit_events" else "SELECT, INSERT, UPDATE, DELETE"
        op.execute(f"GRANT {privileges} ON {table} TO fcio_app")


def downgrade() -> None:
    for table in GLOBAL_TABLES + TENANT_TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM fcio_app")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("REVOKE USAGE ON SCHEMA public FROM fcio_app")
