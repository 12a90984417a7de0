"""calendar feeds: each user's feed key, which resetCalendarFeed replaces

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

A user's calendar feed URL holds an HMAC, under the server's secret key, of the user and this
key (app/auth/feeds.py): neither the URL nor a hash of it is stored, and a new key voids every
URL given out before. gen_random_uuid() gives each existing user one (PostgreSQL 13+, built in).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("calendar_feed_key", sa.Uuid(), server_default=sa.text("gen_random_uuid()"),
                                     nullable=False))


def downgrade() -> None:
    op.drop_column("users", "calendar_feed_key")
