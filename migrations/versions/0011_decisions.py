"""decisions: the register of what the client decided (initiatives approved or declined, risks accepted, notes), initiatives' recurring cost

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

`decisions` is tenant data: row security with the policy 0006 gave every tenant table and the
change-counter triggers. The runtime role may read, add and delete rows (import and offboarding),
never update them: a decision is never edited, a changed mind is a new decision. References to an
initiative, risk or meeting go through `(tenant_id, ...)`, so they only name rows of the same
tenant; deleting one clears only that reference.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
GID = ("rtrim(replace(replace(replace(encode(decode('Decision:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), "
       "'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')")


def tenant_match(table: str) -> str:
    """The policy 0006 gave every tenant table: listed tenants, or ACTIVE tenants of the practice named."""
    return (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = {table}.tenant_id AND t.status = 'ACTIVE' "
            "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")


def upgrade() -> None:
    op.add_column('initiatives', sa.Column('recurring_cost_per_year', sa.Numeric(precision=14, scale=2), nullable=True))
    op.create_check_constraint(op.f('ck_initiatives_recurring_cost_non_negative'), 'initiatives',
                               'recurring_cost_per_year >= 0')
    op.create_table('decisions',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Enum('INITIATIVE_APPROVED', 'INITIATIVE_DECLINED', 'RISK_ACCEPTED', 'NOTE', name='decision_kind'), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.UUID(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('initiative_id', sa.UUID(), nullable=True),
    sa.Column('risk_id', sa.UUID(), nullable=True),
    sa.Column('meeting_id', sa.UUID(), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed(GID, persisted=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_decisions_decided_by_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_decisions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'initiative_id'], ['initiatives.tenant_id', 'initiatives.id'],
                            name=op.f('fk_decisions_tenant_id_initiative_id_initiatives'), ondelete='SET NULL (initiative_id)'),
    sa.ForeignKeyConstraint(['tenant_id', 'risk_id'], ['risks.tenant_id', 'risks.id'],
                            name=op.f('fk_decisions_tenant_id_risk_id_risks'), ondelete='SET NULL (risk_id)'),
    sa.ForeignKeyConstraint(['tenant_id', 'meeting_id'], ['steering_meetings.tenant_id', 'steering_meetings.id'],
                            name=op.f('fk_decisions_tenant_id_meeting_id_steering_meetings'), ondelete='SET NULL (meeting_id)'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_decisions'))
    )
    op.create_index('ix_decisions_tenant_id_decided_at', 'decisions', ['tenant_id', 'decided_at', 'id'], unique=False)
    for column in ("initiative_id", "risk_id", "meeting_id"):
        op.create_index(f'ix_decisions_tenant_id_{column}', 'decisions', ['tenant_id', column], unique=False)
    op.execute("ALTER TABLE decisions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE decisions FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON decisions USING ({tenant_match('decisions')})")
    op.execute("GRANT SELECT, INSERT, DELETE ON decisions TO fcio_app")
    call = "FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('tenant_id')"
    op.execute(f"CREATE TRIGGER decisions_versions_insert AFTER INSERT ON decisions REFERENCING NEW TABLE AS changed {call}")
    op.execute("CREATE TRIGGER decisions_versions_update AFTER UPDATE ON decisions "
               f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER decisions_versions_delete AFTER DELETE ON decisions REFERENCING OLD TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER decisions_versions_truncate AFTER TRUNCATE ON decisions {call}")


def downgrade() -> None:
    op.drop_table('decisions')
    op.execute("DROP TYPE decision_kind")
    op.drop_constraint(op.f('ck_initiatives_recurring_cost_non_negative'), 'initiatives', type_='check')
    op.drop_column('initiatives', 'recurring_cost_per_year')
