"""accounts: invitations, password resets, and the session generation that ends a user's tokens

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

`invitations` and `password_resets` sit above tenancy, like `users` and `api_keys` (no tenant_id,
no row security): a link's token is looked up before anyone is signed in. Each holds only the
SHA-256 of its token (null until the worker mints and mails it); a token is consumed once by an
UPDATE that sets `used_at`. `users.session_generation` is carried in every access token (`gen`):
raising it ends every token issued before.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_generation", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.create_table('invitations',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', postgresql.ENUM('PRACTICE_ADMIN', 'CIO', 'CLIENT_EXECUTIVE', name='user_role', create_type=False),
              nullable=False),
    sa.Column('tenant_ids', sa.ARRAY(sa.UUID()), nullable=False),
    sa.Column('invited_by', sa.UUID(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_invitations_practice_id_practices'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_invitations_invited_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    op.create_index('uq_invitations_token_hash', 'invitations', ['token_hash'], unique=True)
    op.create_index('ix_invitations_practice_id_email', 'invitations', ['practice_id', 'email'], unique=False)
    op.create_table('password_resets',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets'))
    )
    op.create_index('uq_password_resets_token_hash', 'password_resets', ['token_hash'], unique=True)
    op.create_index('ix_password_resets_user_id', 'password_resets', ['user_id'], unique=False)
    for table in ("invitations", "password_resets"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO fcio_app")


def downgrade() -> None:
    op.drop_table('password_resets')
    op.drop_table('invitations')
    op.drop_column('users', 'session_generation')
