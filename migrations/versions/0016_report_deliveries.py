"""report deliveries: the executive report mailed to each recipient, once per tenant, month and recipient; the practice's switch and the user's opt-out

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

`report_deliveries` is tenant data: row security with the policy 0006 gave every tenant table, the
change-counter triggers. The unique (tenant_id, month, recipient) is what makes a delivery happen
once whatever is retried or re-run: queueing inserts with ON CONFLICT DO NOTHING. The runtime role
updates rows (the worker claims and settles them) and deletes them (offboarding).
`practices.reports_enabled` (on by default) and `users.report_opt_out` (off by default) decide who
the monthly cron mails.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
GID = ("rtrim(replace(replace(replace(encode(decode('ReportDelivery:' || CAST(tenant_id AS text) || ':' || "
       "CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')")


def tenant_match(table: str) -> str:
    """The policy 0006 gave every tenant table: listed tenants, or ACTIVE tenants of the practice named."""
    return (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = {table}.tenant_id AND t.status = 'ACTIVE' "
            "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")


def upgrade() -> None:
    op.add_column("practices", sa.Column("reports_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.add_column("users", sa.Column("report_opt_out", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.create_table('report_deliveries',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('state', sa.Enum('QUEUED', 'SENT', 'FAILED', name='delivery_state'), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed(GID, persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_report_deliveries_tenant_id_tenants'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_report_deliveries'))
    )
    op.create_index('uq_report_deliveries_tenant_id_month_recipient', 'report_deliveries',
                    ['tenant_id', 'month', 'recipient'], unique=True)
    op.create_index('ix_report_deliveries_tenant_id_created_at', 'report_deliveries', ['tenant_id', 'created_at', 'id'],
                    unique=False)
    op.execute("ALTER TABLE report_deliveries ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE report_deliveries FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON report_deliveries USING ({tenant_match('report_deliveries')})")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON report_deliveries TO fcio_app")
    call = "FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('tenant_id')"
    table = "report_deliveries"
    op.execute(f"CREATE TRIGGER {table}_versions_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER {table}_versions_update AFTER UPDATE ON {table} "
               f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER {table}_versions_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER {table}_versions_truncate AFTER TRUNCATE ON {table} {call}")


def downgrade() -> None:
    op.drop_table('report_deliveries')
    op.execute("DROP TYPE delivery_state")
    op.drop_column('users', 'report_opt_out')
    op.drop_column('practices', 'reports_enabled')
