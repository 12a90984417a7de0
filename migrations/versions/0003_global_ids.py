"""global ids: each read-heavy table stores its rows' Relay ids in a generated column

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from alembic import op

from app.db.global_ids import expression

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = {  # table: (type name, tenant-scoped)
    "tenants": ("Tenant", False),
    "risks": ("Risk", True),
    "initiatives": ("Initiative", True),
    "vendors": ("Vendor", True),
    "steering_meetings": ("SteeringMeeting", True),
}


def upgrade() -> None:
    for table, (type_name, scoped) in TABLES.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN gid text GENERATED ALWAYS AS ({expression(type_name, scoped)}) STORED")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN gid")
