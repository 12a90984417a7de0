"""global ids: each read-heavy table stores its rows' Relay ids in a generated column

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

The SQL as this revision ran it (history: it imports nothing of `app`). The id is URL-safe
base64, unpadded, of "Type:<tenant>:<id>" (or "Type:<id>" above tenancy), as `app/api/ids.encode`
writes it; the models declare the same expressions (app/db/global_ids.py).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("tenants", "risks", "initiatives", "vendors", "steering_meetings")


def upgrade() -> None:
    op.execute(r"""ALTER TABLE tenants ADD COLUMN gid text GENERATED ALWAYS AS (rtrim(replace(replace(replace(encode(decode('Tenant:' || CAST(id AS text), 'escape'), 'base64'), E'\n', ''), '+', '-'), '/', '_'), '=')) STORED""")
    op.execute(r"""ALTER TABLE risks ADD COLUMN gid text GENERATED ALWAYS AS (rtrim(replace(replace(replace(encode(decode('Risk:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\n', ''), '+', '-'), '/', '_'), '=')) STORED""")
    op.execute(r"""ALTER TABLE initiatives ADD COLUMN gid text GENERATED ALWAYS AS (rtrim(replace(replace(replace(encode(decode('Initiative:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\n', ''), '+', '-'), '/', '_'), '=')) STORED""")
    op.execute(r"""ALTER TABLE vendors ADD COLUMN gid text GENERATED ALWAYS AS (rtrim(replace(replace(replace(encode(decode('Vendor:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\n', ''), '+', '-'), '/', '_'), '=')) STORED""")
    op.execute(r"""ALTER TABLE steering_meetings ADD COLUMN gid text GENERATED ALWAYS AS (rtrim(replace(replace(replace(encode(decode('SteeringMeeting:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\n', ''), '+', '-'), '/', '_'), '=')) STORED""")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN gid")
