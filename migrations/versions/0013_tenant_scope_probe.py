"""the practice probe of row security reads an index alone

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

An admin's transaction names its practice, and row security checks each row read with a probe of
the tenant's primary key for its practice and status (0006). The probe read the index and then
the tenant's heap row: three buffers a row, three quarters of the buffers a practice's portfolio
read (200 tenants: 18,000 of 24,700). An index on the id that carries practice and status answers
the probe from the index alone (an index-only scan: two buffers, no heap row).
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tenants_id_scope", "tenants", ["id"], unique=False, postgresql_include=["practice_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_tenants_id_scope", table_name="tenants")
