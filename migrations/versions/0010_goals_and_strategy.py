"""goals and strategy: a client's business goals per fiscal year, initiatives tied to the goal they serve, the strategy profile

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

`business_goals` is tenant data: row security with the policy 0006 gave every tenant table, the
grants to fcio_app and the change-counter triggers. An initiative points at its goal through
`(tenant_id, goal_id)`, so it can only name a goal of its own tenant; deleting the goal unlinks it.
`strategy_profiles` holds at most one row a tenant (tenant_id is its key), tenant data as well.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
TENANT_TABLES = ("business_goals", "strategy_profiles")


def tenant_match(table: str) -> str:
    """The policy 0006 gave every tenant table: listed tenants, or ACTIVE tenants of the practice named."""
    return (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = {table}.tenant_id AND t.status = 'ACTIVE' "
            "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")


def upgrade() -> None:
    op.create_table('business_goals',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('fiscal_year', sa.SmallInteger(), nullable=False),
    sa.Column('function', sa.String(length=200), nullable=True),
    sa.Column('kpi', sa.String(length=200), nullable=True),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('current', sa.Float(), nullable=True),
    sa.Column('status', sa.Enum('ON_TRACK', 'AT_RISK', 'OFF_TRACK', 'ACHIEVED', 'DROPPED', name='goal_status'), nullable=False),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('BusinessGoal:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('fiscal_year between 2000 and 2100', name=op.f('ck_business_goals_fiscal_year_range')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_business_goals_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_business_goals'))
    )
    op.create_index('ix_business_goals_tenant_id_fiscal_year', 'business_goals', ['tenant_id', 'fiscal_year'], unique=False)
    op.create_table('strategy_profiles',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('it_maturity', sa.SmallInteger(), nullable=True),
    sa.Column('build_vs_buy', sa.Enum('BUILD', 'BUY', 'MIXED', name='build_vs_buy'), nullable=True),
    sa.Column('cloud_strategy', sa.Enum('CLOUD_FIRST', 'HYBRID', 'ON_PREMISES', name='cloud_strategy'), nullable=True),
    sa.Column('preferred_platforms', postgresql.ARRAY(sa.String(length=200)), nullable=False),
    sa.Column('endorsed_stack', postgresql.ARRAY(sa.String(length=200)), nullable=False),
    sa.Column('regulatory_constraints', postgresql.ARRAY(sa.String(length=200)), nullable=False),
    sa.Column('it_capacity_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('it_maturity between 1 and 5', name=op.f('ck_strategy_profiles_it_maturity_range')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_strategy_profiles_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_strategy_profiles'))
    )
    op.add_column('initiatives', sa.Column('goal_id', sa.UUID(), nullable=True))
    op.create_foreign_key(op.f('fk_initiatives_tenant_id_goal_id_business_goals'), 'initiatives', 'business_goals',
                          ['tenant_id', 'goal_id'], ['tenant_id', 'id'], ondelete='SET NULL (goal_id)')
    op.create_index('ix_initiatives_tenant_id_goal_id', 'initiatives', ['tenant_id', 'goal_id'], unique=False)
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({tenant_match(table)})")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO fcio_app")
        call = "FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('tenant_id')"
        op.execute(f"CREATE TRIGGER {table}_versions_insert AFTER INSERT ON {table} "
                   f"REFERENCING NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_update AFTER UPDATE ON {table} "
                   f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_delete AFTER DELETE ON {table} "
                   f"REFERENCING OLD TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_truncate AFTER TRUNCATE ON {table} {call}")


def downgrade() -> None:
    op.drop_index('ix_initiatives_tenant_id_goal_id', table_name='initiatives')
    op.drop_constraint(op.f('fk_initiatives_tenant_id_goal_id_business_goals'), 'initiatives', type_='foreignkey')
    op.drop_column('initiatives', 'goal_id')
    op.drop_table('strategy_profiles')
    op.drop_index('ix_business_goals_tenant_id_fiscal_year', table_name='business_goals')
    op.drop_table('business_goals')
    for name in ("goal_status", "build_vs_buy", "cloud_strategy"):
        op.execute(f"DROP TYPE {name}")
