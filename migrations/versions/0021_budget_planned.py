"""a budget's planned total, kept by the app at commit

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

The portfolio's budget variance and the health score's budget input read the planned total of a
tenant's fiscal year: the sum of its budget's lines, eleven rows a tenant checked one by one by
row security, and with the spend a third of the portfolio statement's time. `budgets.planned`
holds that sum. The write paths of lines hold the change of each line's planned amount and add a
tenant's changes just before COMMIT by one call (`add_budget_planned`, app/db/figures.py), as
they do for the spend per month (0020): rows in key order, increments that commute, locked only
while the writer commits; on one node and on Citus alike.

The column is filled from the lines stored at this revision, with row security lifted for that
statement only (the migration runs as the tables' owner, which FORCE subjects to the policies).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ADD_BUDGET_PLANNED = """
    CREATE FUNCTION add_budget_planned(tenant uuid, budgets uuid[], amounts numeric[]) RETURNS void LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    DECLARE
      d record;
    BEGIN
      FOR d IN SELECT * FROM unnest(budgets, amounts) AS u(budget, amount) WHERE amount <> 0 ORDER BY budget LOOP
        UPDATE budgets SET planned = planned + d.amount WHERE tenant_id = tenant AND id = d.budget;
      END LOOP;
    END $$"""

FUNCTION = "add_budget_planned(uuid, uuid[], numeric[])"

FILL = """
    UPDATE budgets AS b SET planned = l.planned
    FROM (SELECT tenant_id, budget_id, sum(planned) AS planned FROM budget_lines GROUP BY tenant_id, budget_id) AS l
    WHERE b.tenant_id = l.tenant_id AND b.id = l.budget_id"""


def upgrade() -> None:
    op.add_column("budgets", sa.Column("planned", sa.Numeric(precision=16, scale=2), server_default=sa.text("0"),
                                       nullable=False))
    for table in ("budgets", "budget_lines"):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(FILL)
    for table in ("budgets", "budget_lines"):
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(ADD_BUDGET_PLANNED)
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO fcio_app")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
    op.drop_column("budgets", "planned")
