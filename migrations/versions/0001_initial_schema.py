"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

ENUM_TYPES = (
    'tenant_status',
    'user_role',
    'psa_vendor',
    'policy_kind',
    'policy_status',
    'meeting_status',
    'ticket_category',
    'vendor_relationship',
    'action_item_status',
    'initiative_status',
    'delivery_status',
    'budget_kind',
    'risk_category',
    'risk_status',
    'risk_treatment',
)


def upgrade() -> None:
    op.create_table('practices',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('health_weights', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practices')),
    sa.UniqueConstraint('name', name=op.f('uq_practices_name'))
    )
    op.create_table('tenants',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('employee_count', sa.Integer(), nullable=False),
    sa.Column('fiscal_year_start_month', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('ACTIVE', 'OFFBOARDED', name='tenant_status'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('char_length(currency) = 3', name=op.f('ck_tenants_currency_iso')),
    sa.CheckConstraint('employee_count >= 1', name=op.f('ck_tenants_employee_count_positive')),
    sa.CheckConstraint('fiscal_year_start_month between 1 and 12', name=op.f('ck_tenants_fiscal_year_start_month_range')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_tenants_practice_id_practices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.create_index('uq_tenants_practice_id_slug', 'tenants', ['practice_id', 'slug'], unique=True)
    op.create_table('users',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('PRACTICE_ADMIN', 'CIO', 'CLIENT_EXECUTIVE', name='user_role'), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_users_practice_id_practices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_index(op.f('ix_users_practice_id'), 'users', ['practice_id'], unique=False)
    op.create_table('api_keys',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=128), nullable=False),
    sa.Column('tenant_ids', postgresql.ARRAY(sa.UUID()), nullable=True),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_api_keys_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_api_keys_practice_id_practices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys'))
    )
    op.create_index(op.f('ix_api_keys_practice_id'), 'api_keys', ['practice_id'], unique=False)
    op.create_table('audit_events',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('actor_type', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('object_type', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.String(length=100), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_audit_events'))
    )
    op.create_index('ix_audit_events_tenant_id_created_at', 'audit_events', ['tenant_id', 'created_at'], unique=False)
    op.create_table('budgets',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('fiscal_year', sa.SmallInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('fiscal_year between 2000 and 2100', name=op.f('ck_budgets_fiscal_year_range')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_budgets_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_budgets')),
    sa.UniqueConstraint('tenant_id', 'fiscal_year', name=op.f('uq_budgets_tenant_id_fiscal_year'))
    )
    op.create_table('grants',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_grants_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'tenant_id', name=op.f('pk_grants'))
    )
    op.create_index(op.f('ix_grants_tenant_id'), 'grants', ['tenant_id'], unique=False)
    op.create_table('health_scores',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('band', sa.String(length=10), nullable=False),
    sa.Column('components', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('inputs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('formula_version', sa.SmallInteger(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('extract(day from month) = 1', name=op.f('ck_health_scores_month_first_day')),
    sa.CheckConstraint('score between 0 and 100', name=op.f('ck_health_scores_score_range')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_health_scores_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'month', name=op.f('pk_health_scores'))
    )
    op.create_table('integrations',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('vendor', sa.Enum('CONNECTWISE', 'AUTOTASK', 'HALOPSA', name='psa_vendor'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('secret_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('settings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_integrations_practice_id_practices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_integrations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrations'))
    )
    op.create_index('ix_integrations_tenant_id', 'integrations', ['tenant_id'], unique=False)
    op.create_table('it_plans',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_it_plans_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_it_plans'))
    )
    op.create_table('policies',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Enum('REMOTE_ACCESS', 'BACKUP_AND_RECOVERY', 'PHYSICAL_ACCESS', 'INCIDENT_RESPONSE', 'BUSINESS_CONTINUITY', 'INFORMATION_SECURITY', 'ACCEPTABLE_USE', 'VENDOR_MANAGEMENT', name='policy_kind'), nullable=False),
    sa.Column('status', sa.Enum('MISSING', 'DRAFT', 'APPROVED', name='policy_status'), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('review_interval_months', sa.SmallInteger(), nullable=False),
    sa.Column('document_url', sa.String(length=2000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status <> 'APPROVED' or approved_on is not null", name=op.f('ck_policies_approved_has_date')),
    sa.CheckConstraint('review_interval_months between 1 and 60', name=op.f('ck_policies_review_interval_range')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_policies_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_policies')),
    sa.UniqueConstraint('tenant_id', 'kind', name=op.f('uq_policies_tenant_id_kind'))
    )
    op.create_table('stale_health_months',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stale_health_months_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'month', name=op.f('pk_stale_health_months'))
    )
    op.create_table('steering_meetings',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('SCHEDULED', 'HELD', 'CANCELLED', name='meeting_status'), nullable=False),
    sa.Column('attendees', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('agenda', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('decisions', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_steering_meetings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_steering_meetings'))
    )
    op.create_index('ix_steering_meetings_tenant_id_scheduled_at', 'steering_meetings', ['tenant_id', 'scheduled_at'], unique=False)
    op.create_table('ticket_months',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('support', sa.Integer(), nullable=False),
    sa.Column('change', sa.Integer(), nullable=False),
    sa.Column('alert', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('extract(day from month) = 1', name=op.f('ck_ticket_months_month_first_day')),
    sa.CheckConstraint('support >= 0 and change >= 0 and alert >= 0', name=op.f('ck_ticket_months_counts_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_ticket_months_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'month', 'source', name=op.f('pk_ticket_months'))
    )
    op.create_table('tickets',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('SUPPORT', 'CHANGE', 'ALERT', name='ticket_category'), nullable=False),
    sa.Column('priority', sa.String(length=50), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_sequence', sa.Integer(), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tickets_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('tenant_id', 'source', 'external_id', name=op.f('uq_tickets_tenant_id_source_external_id'))
    )
    op.create_index('ix_tickets_tenant_id_opened_at', 'tickets', ['tenant_id', 'opened_at'], unique=False)
    op.create_table('vendors',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('relationship', sa.Enum('COMMODITY', 'PARTNER', name='vendor_relationship'), nullable=False),
    sa.Column('annual_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('annual_cost >= 0', name=op.f('ck_vendors_annual_cost_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendors_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendors'))
    )
    op.create_table('action_items',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('meeting_id', sa.UUID(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('OPEN', 'DONE', name='action_item_status'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'meeting_id'], ['steering_meetings.tenant_id', 'steering_meetings.id'], name=op.f('fk_action_items_tenant_id_meeting_id_steering_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_action_items_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_action_items'))
    )
    op.create_index('ix_action_items_tenant_id_meeting_id', 'action_items', ['tenant_id', 'meeting_id'], unique=False)
    op.create_table('initiatives',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('plan_id', sa.UUID(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('PROPOSED', 'APPROVED', 'IN_PROGRESS', 'DONE', 'DEFERRED', 'CANCELLED', name='initiative_status'), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('target_month', sa.Date(), nullable=True),
    sa.Column('cost_estimate', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('hours_saved_per_month', sa.Double(), nullable=True),
    sa.Column('revenue_at_risk', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('cost_estimate >= 0', name=op.f('ck_initiatives_cost_estimate_non_negative')),
    sa.CheckConstraint('extract(day from target_month) = 1', name=op.f('ck_initiatives_target_month_first_day')),
    sa.CheckConstraint('hours_saved_per_month >= 0', name=op.f('ck_initiatives_hours_saved_non_negative')),
    sa.CheckConstraint('priority between 1 and 5', name=op.f('ck_initiatives_priority_range')),
    sa.CheckConstraint('revenue_at_risk >= 0', name=op.f('ck_initiatives_revenue_at_risk_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'plan_id'], ['it_plans.tenant_id', 'it_plans.id'], name=op.f('fk_initiatives_tenant_id_plan_id_it_plans'), ondelete='SET NULL (plan_id)'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_initiatives_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_initiatives'))
    )
    op.create_index('ix_initiatives_tenant_id_plan_id', 'initiatives', ['tenant_id', 'plan_id'], unique=False)
    op.create_index('ix_initiatives_tenant_id_target_month', 'initiatives', ['tenant_id', 'target_month'], unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('integration_id', sa.UUID(), nullable=False),
    sa.Column('identity', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('RECEIVED', 'PROCESSED', 'REJECTED', 'FAILED', 'IGNORED', name='delivery_status'), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_webhook_deliveries_integration_id_integrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_webhook_deliveries_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('tenant_id', 'integration_id', 'identity', name=op.f('uq_webhook_deliveries_tenant_id_integration_id_identity'))
    )
    op.create_index('ix_webhook_deliveries_tenant_id_integration_id_status', 'webhook_deliveries', ['tenant_id', 'integration_id', 'status'], unique=False)
    op.create_table('budget_lines',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('budget_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('CAPEX', 'OPEX', name='budget_kind'), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('planned', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vendor_id', sa.UUID(), nullable=True),
    sa.Column('initiative_id', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('planned >= 0', name=op.f('ck_budget_lines_planned_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'budget_id'], ['budgets.tenant_id', 'budgets.id'], name=op.f('fk_budget_lines_tenant_id_budget_id_budgets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'initiative_id'], ['initiatives.tenant_id', 'initiatives.id'], name=op.f('fk_budget_lines_tenant_id_initiative_id_initiatives'), ondelete='SET NULL (initiative_id)'),
    sa.ForeignKeyConstraint(['tenant_id', 'vendor_id'], ['vendors.tenant_id', 'vendors.id'], name=op.f('fk_budget_lines_tenant_id_vendor_id_vendors'), ondelete='SET NULL (vendor_id)'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_budget_lines_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_budget_lines')),
    sa.UniqueConstraint('tenant_id', 'budget_id', 'name', name=op.f('uq_budget_lines_tenant_id_budget_id_name'))
    )
    op.create_index('ix_budget_lines_tenant_id_initiative_id', 'budget_lines', ['tenant_id', 'initiative_id'], unique=False)
    op.create_index('ix_budget_lines_tenant_id_vendor_id', 'budget_lines', ['tenant_id', 'vendor_id'], unique=False)
    op.create_table('risks',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('category', sa.Enum('SECURITY', 'COMPLIANCE', 'OPERATIONAL', 'CONTINUITY', 'VENDOR', 'FINANCIAL', 'STRATEGIC', name='risk_category'), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'MITIGATING', 'ACCEPTED', 'CLOSED', name='risk_status'), nullable=False),
    sa.Column('likelihood', sa.SmallInteger(), nullable=False),
    sa.Column('impact', sa.SmallInteger(), nullable=False),
    sa.Column('score', sa.SmallInteger(), sa.Computed('likelihood * impact', persisted=True), nullable=False),
    sa.Column('treatment', sa.Enum('MITIGATE', 'ACCEPT', 'TRANSFER', 'AVOID', name='risk_treatment'), nullable=True),
    sa.Column('mitigation', sa.Text(), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('residual_likelihood', sa.SmallInteger(), nullable=True),
    sa.Column('residual_impact', sa.SmallInteger(), nullable=True),
    sa.Column('review_due', sa.Date(), nullable=True),
    sa.Column('initiative_id', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('impact between 1 and 5', name=op.f('ck_risks_impact_range')),
    sa.CheckConstraint('likelihood between 1 and 5', name=op.f('ck_risks_likelihood_range')),
    sa.CheckConstraint('residual_impact between 1 and 5', name=op.f('ck_risks_residual_impact_range')),
    sa.CheckConstraint('residual_likelihood between 1 and 5', name=op.f('ck_risks_residual_likelihood_range')),
    sa.ForeignKeyConstraint(['tenant_id', 'initiative_id'], ['initiatives.tenant_id', 'initiatives.id'], name=op.f('fk_risks_tenant_id_initiative_id_initiatives'), ondelete='SET NULL (initiative_id)'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_risks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_risks'))
    )
    op.create_index('ix_risks_tenant_id_initiative_id', 'risks', ['tenant_id', 'initiative_id'], unique=False)
    op.create_index('ix_risks_tenant_id_review_due', 'risks', ['tenant_id', 'review_due'], unique=False)
    op.create_index('ix_risks_tenant_id_score', 'risks', ['tenant_id', 'score'], unique=False)
    op.create_table('budget_spend',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('budget_line_id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_budget_spend_amount_non_negative')),
    sa.CheckConstraint('extract(day from month) = 1', name=op.f('ck_budget_spend_month_first_day')),
    sa.ForeignKeyConstraint(['tenant_id', 'budget_line_id'], ['budget_lines.tenant_id', 'budget_lines.id'], name=op.f('fk_budget_spend_tenant_id_budget_line_id_budget_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_budget_spend_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'budget_line_id', 'month', name=op.f('pk_budget_spend'))
    )


def downgrade() -> None:
    op.drop_table('budget_spend')
    op.drop_index('ix_risks_tenant_id_score', table_name='risks')
    op.drop_index('ix_risks_tenant_id_review_due', table_name='risks')
    op.drop_index('ix_risks_tenant_id_initiative_id', table_name='risks')
    op.drop_table('risks')
    op.drop_index('ix_budget_lines_tenant_id_vendor_id', table_name='budget_lines')
    op.drop_index('ix_budget_lines_tenant_id_initiative_id', table_name='budget_lines')
    op.drop_table('budget_lines')
    op.drop_index('ix_webhook_deliveries_tenant_id_integration_id_status', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index('ix_initiatives_tenant_id_target_month', table_name='initiatives')
    op.drop_index('ix_initiatives_tenant_id_plan_id', table_name='initiatives')
    op.drop_table('initiatives')
    op.drop_index('ix_action_items_tenant_id_meeting_id', table_name='action_items')
    op.drop_table('action_items')
    op.drop_table('vendors')
    op.drop_index('ix_tickets_tenant_id_opened_at', table_name='tickets')
    op.drop_table('tickets')
    op.drop_table('ticket_months')
    op.drop_index('ix_steering_meetings_tenant_id_scheduled_at', table_name='steering_meetings')
    op.drop_table('steering_meetings')
    op.drop_table('stale_health_months')
    op.drop_table('policies')
    op.drop_table('it_plans')
    op.drop_index('ix_integrations_tenant_id', table_name='integrations')
    op.drop_table('integrations')
    op.drop_table('health_scores')
    op.drop_index(op.f('ix_grants_tenant_id'), table_name='grants')
    op.drop_table('grants')
    op.drop_table('budgets')
    op.drop_index('ix_audit_events_tenant_id_created_at', table_name='audit_events')
    op.drop_table('audit_events')
    op.drop_index(op.f('ix_api_keys_practice_id'), table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_index(op.f('ix_users_practice_id'), table_name='users')
    op.drop_table('users')
    op.drop_index('uq_tenants_practice_id_slug', table_name='tenants')
    op.drop_table('tenants')
    op.drop_table('practices')
    for enum_type in ENUM_TYPES:
        op.execute(f'DROP TYPE IF EXISTS {enum_type}')
