"""tenant versions: a change counter per tenant (a row per writing backend), bumped by every write to its data

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from app.db import versions
from app.db.rls import RUNTIME_ROLE, grant_runtime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def watched_tables() -> list[str]:
    """`tenants` and every table with a tenant_id, but the unwatched queues and audit trail."""
    rows = op.get_bind().execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'tenant_id' ORDER BY table_name"
    ))
    return ["tenants", *(t for (t,) in rows if t not in versions.UNWATCHED)]


def upgrade() -> None:
    op.execute("CREATE TABLE tenant_versions (id uuid, backend integer, version bigint NOT NULL, "
               "PRIMARY KEY (id, backend))")
    op.execute(grant_runtime("tenant_versions", "SELECT"))
    op.execute(versions.create_function())
    op.execute(versions.create_fold())
    op.execute(f"REVOKE ALL ON FUNCTION {versions.FOLD}() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {versions.FOLD}() TO {RUNTIME_ROLE}")
    for table in watched_tables():
        for statement in versions.watch(table):
            op.execute(statement)


def downgrade() -> None:
    for table in watched_tables():
        for statement in versions.unwatch(table):
            op.execute(statement)
    op.execute(f"DROP FUNCTION {versions.FOLD}()")
    op.execute(f"DROP FUNCTION {versions.FUNCTION}()")
    op.execute("DROP TABLE tenant_versions")
