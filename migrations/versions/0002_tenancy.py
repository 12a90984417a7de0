"""tenancy: the runtime role, row-level security on every tenant-owned table, and grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

from app.db.rls import (
    create_runtime_role,
    disable_tenant_rls,
    enable_tenant_rls,
    grant_runtime,
    revoke_runtime,
)

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


def upgrade() -> None:
    for statement in create_runtime_role():
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for table in GLOBAL_TABLES + TENANT_TABLES:
        # The audit trail is append-only for the app.
        op.execute(grant_runtime(table, "SELECT, INSERT") if table == "audit_events" else grant_runtime(table))


def downgrade() -> None:
    for table in GLOBAL_TABLES + TENANT_TABLES:
        op.execute(revoke_runtime(table))
    for table in TENANT_TABLES:
        for statement in disable_tenant_rls(table):
            op.execute(statement)
    op.execute("REVOKE USAGE ON SCHEMA public FROM fcio_app")
