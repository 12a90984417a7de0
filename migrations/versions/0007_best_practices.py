"""best practices: the standards library, reviews, findings, assets, a risk's acceptance date

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

`standard_library` is the built-in library, written here (a later revision that changes it holds
its own SQL); `standards` is a practice's own library, above tenancy like `users`. Every existing
practice gets a copy of the built-in library here, and a new practice gets one when it is created
(app/standards/actions.py copies the same table), so both start with the same entries. Each copy
keeps its entry's `key`, and copying again adds nothing. Reviews, answers, findings and assets are
tenant data: row security as 0006 wrote it, the runtime role's grants, and the change counters'
triggers as 0004 created them.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TENANT_TABLES = ("reviews", "review_answers", "findings", "assets")
LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
COPY_LIBRARY = """
    INSERT INTO standards (id, practice_id, key, section, title, question, why_it_matters, priority, version)
    SELECT gen_random_uuid(), p.id, l.key, l.section, l.title, l.question, l.why_it_matters, l.priority, 1
    FROM practices p CROSS JOIN standard_library l
    ORDER BY p.id, l.section, l.key
    ON CONFLICT (practice_id, key) DO NOTHING"""

# The built-in library: (key, section, title, question, why it matters, priority).
LIBRARY = (
    ("identity.mfa-everyone", "Identity and MFA", "Multi-factor sign-in for everyone",
     "Does every user sign in to email and business systems with a second factor?",
     "A stolen password alone should never open the company's email or money.", "HIGH"),
)


def tenant_match(table: str) -> str:
    """The policy 0006 gave every tenant table: listed tenants, or ACTIVE tenants of the practice named."""
    return (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = {table}.tenant_id AND t.status = 'ACTIVE' "
            "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")


def upgrade() -> None:
    op.create_table('standard_library',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('why_it_matters', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('HIGH', 'MEDIUM', 'LOW', name='standard_priority'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_standard_library'))
    )
    op.create_table('standards',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=True),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('why_it_matters', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('HIGH', 'MEDIUM', 'LOW', name='standard_priority'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Standard:' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_standards_practice_id_practices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standards')),
    sa.UniqueConstraint('practice_id', 'key', name=op.f('uq_standards_practice_id_key'))
    )
    op.create_index('ix_standards_practice_id_section', 'standards', ['practice_id', 'section', 'title', 'id'], unique=False)
    op.create_table('assets',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('LAPTOP', 'WORKSTATION', 'SERVER', 'NETWORK', 'STORAGE', 'MOBILE', 'PRINTER', 'SOFTWARE', 'CLOUD_SERVICE', 'OTHER', name='asset_kind'), nullable=False),
    sa.Column('manufacturer', sa.String(length=200), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('serial_number', sa.String(length=200), nullable=True),
    sa.Column('purchased_on', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('end_of_support', sa.Date(), nullable=True),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.Column('replace_by', sa.Date(), nullable=True),
    sa.Column('replacement_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Asset:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('replacement_cost >= 0', name=op.f('ck_assets_replacement_cost_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_assets_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_assets'))
    )
    op.create_index('ix_assets_tenant_id_name', 'assets', ['tenant_id', 'name', 'id'], unique=False)
    op.create_index('uq_assets_tenant_id_source_external_id', 'assets', ['tenant_id', 'source', 'external_id'], unique=True, postgresql_where='external_id is not null')
    op.create_table('reviews',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Enum('IN_PROGRESS', 'COMPLETED', name='review_status'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('alignment_score', sa.SmallInteger(), nullable=True),
    sa.Column('started_by', sa.UUID(), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Review:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'COMPLETED') = (completed_at is not null)", name=op.f('ck_reviews_completed_has_date')),
    sa.CheckConstraint('alignment_score between 0 and 100', name=op.f('ck_reviews_alignment_score_range')),
    sa.ForeignKeyConstraint(['started_by'], ['users.id'], name=op.f('fk_reviews_started_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reviews_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_reviews'))
    )
    op.create_index('ix_reviews_tenant_id_completed_at', 'reviews', ['tenant_id', 'completed_at', 'id'], unique=False)
    op.create_index('ix_reviews_tenant_id_started_at', 'reviews', ['tenant_id', 'started_at', 'id'], unique=False)
    op.create_index('uq_reviews_tenant_id_in_progress', 'reviews', ['tenant_id'], unique=True, postgresql_where="status = 'IN_PROGRESS'")
    op.create_table('review_answers',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('standard_id', sa.UUID(), nullable=False),
    sa.Column('alignment', sa.Enum('ALIGNED', 'PARTIAL', 'NOT_ALIGNED', 'NOT_APPLICABLE', name='alignment'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_review_answers_standard_id_standards')),
    sa.ForeignKeyConstraint(['tenant_id', 'review_id'], ['reviews.tenant_id', 'reviews.id'], name=op.f('fk_review_answers_tenant_id_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_review_answers_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'review_id', 'standard_id', name=op.f('pk_review_answers'))
    )
    op.create_index(op.f('ix_review_answers_standard_id'), 'review_answers', ['standard_id'], unique=False)
    op.create_table('findings',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('standard_id', sa.UUID(), nullable=False),
    sa.Column('alignment', sa.Enum('ALIGNED', 'PARTIAL', 'NOT_ALIGNED', 'NOT_APPLICABLE', name='alignment'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('initiative_id', sa.UUID(), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Finding:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.CheckConstraint("alignment in ('PARTIAL', 'NOT_ALIGNED')", name=op.f('ck_findings_alignment_is_gap')),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_findings_standard_id_standards')),
    sa.ForeignKeyConstraint(['tenant_id', 'initiative_id'], ['initiatives.tenant_id', 'initiatives.id'], name=op.f('fk_findings_tenant_id_initiative_id_initiatives'), ondelete='SET NULL (initiative_id)'),
    sa.ForeignKeyConstraint(['tenant_id', 'review_id'], ['reviews.tenant_id', 'reviews.id'], name=op.f('fk_findings_tenant_id_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_findings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_findings')),
    sa.UniqueConstraint('tenant_id', 'review_id', 'standard_id', name=op.f('uq_findings_tenant_id_review_id_standard_id'))
    )
    op.create_index(op.f('ix_findings_standard_id'), 'findings', ['standard_id'], unique=False)
    op.create_index('ix_findings_tenant_id_initiative_id', 'findings', ['tenant_id', 'initiative_id'], unique=False)
    op.add_column('risks', sa.Column('accepted_until', sa.Date(), nullable=True))
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
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON standards TO fcio_app")
    op.execute("GRANT SELECT ON standard_library TO fcio_app")
    library = sa.table("standard_library", *(sa.column(c) for c in
                       ("key", "section", "title", "question", "why_it_matters", "priority")))
    op.bulk_insert(library, [dict(zip(("key", "section", "title", "question", "why_it_matters", "priority"), row))
                             for row in LIBRARY])
    op.execute(COPY_LIBRARY)


def downgrade() -> None:
    op.drop_column('risks', 'accepted_until')
    op.drop_index('ix_findings_tenant_id_initiative_id', table_name='findings')
    op.drop_index(op.f('ix_findings_standard_id'), table_name='findings')
    op.drop_table('findings')
    op.drop_index(op.f('ix_review_answers_standard_id'), table_name='review_answers')
    op.drop_table('review_answers')
    op.drop_index('uq_reviews_tenant_id_in_progress', table_name='reviews', postgresql_where="status = 'IN_PROGRESS'")
    op.drop_index('ix_reviews_tenant_id_started_at', table_name='reviews')
    op.drop_index('ix_reviews_tenant_id_completed_at', table_name='reviews')
    op.drop_table('reviews')
    op.drop_index('uq_assets_tenant_id_source_external_id', table_name='assets', postgresql_where='external_id is not null')
    op.drop_index('ix_assets_tenant_id_name', table_name='assets')
    op.drop_table('assets')
    op.drop_index('ix_standards_practice_id_section', table_name='standards')
    op.drop_table('standards')
    op.drop_table('standard_library')
    for name in ("alignment", "review_status", "standard_priority", "asset_kind"):
        op.execute(f"DROP TYPE {name}")
