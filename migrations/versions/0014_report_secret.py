"""the practice's report secret: what signs the executive report's mailed links

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

A mailed link to a report carries a token signed for one tenant, month and recipient; the key is
the practice's own secret, so giving the practice a new one voids every link it has mailed.
Existing practices get theirs here; 244 random bits from the server's strong random source
(two version-4 UUIDs' random bits, as 64 hex digits).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

REPORT_SECRET = "replace(CAST(gen_random_uuid() AS text) || CAST(gen_random_uuid() AS text), '-', '')"


def upgrade() -> None:
    op.add_column("practices", sa.Column("report_secret", sa.Text(), server_default=sa.text(REPORT_SECRET), nullable=False))


def downgrade() -> None:
    op.drop_column("practices", "report_secret")
