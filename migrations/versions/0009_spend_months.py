"""spend months: a tenant's spend per month over all its lines, kept by the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A fiscal year's actual to date (the health score's budget input, the portfolio's budget variance)
summed every line's spend up to the month: about 80 rows per tenant, each checked by row security,
and two thirds of the portfolio statement's time. Spend is recorded only for a month of its
line's fiscal year, so the same figure is the sum of the tenant's spend per month from the fiscal
year's first month. `spend_months` holds that sum, kept by statement triggers on `budget_spend`
as 0008 keeps the ticket figures: each statement adds its new rows' amounts and takes away its
old rows' (increments commute, so concurrent writers are all counted), a row that reaches zero
stays (a month with spend entered as zero is still a month with spend), and a delete never
creates a row. A transaction that brings the figures itself (an import, the seed) sets
`app.figures` to `given`, as for the ticket figures.

The table is filled from the spend stored at this revision, with row security lifted for that
statement only (the migration runs as the tables' owner, which FORCE subjects to the policies).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
POLICY = (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = spend_months.tenant_id AND t.status = 'ACTIVE' "
          "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")

# Statement deltas of budget_spend, by tenant and month.
DELTAS = """
    SELECT tenant_id, month, sum(amount) AS amount FROM ({rows}) AS c GROUP BY tenant_id, month
    HAVING sum(amount) <> 0"""
# Rows locked first, in key order, as 0008 does for the ticket figures (no deadlock between two
# writers of the same months).
LOCK = """
      PERFORM 1 FROM spend_months s JOIN ({deltas}) AS d ON s.tenant_id = d.tenant_id AND s.month = d.month
      ORDER BY s.tenant_id, s.month FOR UPDATE OF s;"""
WRITE = """
      WITH d AS ({deltas}), updated AS (
        UPDATE spend_months s SET amount = s.amount + d.amount
        FROM d WHERE s.tenant_id = d.tenant_id AND s.month = d.month
        RETURNING s.tenant_id, s.month
      )
      INSERT INTO spend_months AS s (tenant_id, month, amount)
      SELECT tenant_id, month, amount FROM d
      WHERE amount > 0 AND NOT EXISTS (SELECT 1 FROM updated u WHERE u.tenant_id = d.tenant_id AND u.month = d.month)
      ORDER BY tenant_id, month
      ON CONFLICT (tenant_id, month) DO UPDATE SET amount = s.amount + excluded.amount;"""
NEW = "SELECT tenant_id, month, amount FROM changed"
OLD = "SELECT tenant_id, month, -amount AS amount FROM {table}"


def summing(rows: str) -> str:
    changes = DELTAS.format(rows=rows)
    return LOCK.format(deltas=changes) + WRITE.format(deltas=changes)


WRITE_INSERT = summing(NEW)
WRITE_UPDATE = summing(f"{NEW} UNION ALL {OLD.format(table='previous')}")
WRITE_DELETE = summing(OLD.format(table="changed"))

CREATE_SUM = f"""
    CREATE FUNCTION sum_spend_months() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    BEGIN
      IF current_setting('app.figures', true) = 'given' THEN
        RETURN NULL;
      END IF;
      IF TG_OP = 'INSERT' THEN{WRITE_INSERT}
      ELSIF TG_OP = 'UPDATE' THEN{WRITE_UPDATE}
      ELSE{WRITE_DELETE}
      END IF;
      RETURN NULL;
    END $$"""

FILL = """
    INSERT INTO spend_months (tenant_id, month, amount)
    SELECT tenant_id, month, sum(amount) FROM budget_spend GROUP BY tenant_id, month ORDER BY tenant_id, month"""


def upgrade() -> None:
    op.create_table('spend_months',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('extract(day from month) = 1', name=op.f('ck_spend_months_month_first_day')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_spend_months_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'month', name=op.f('pk_spend_months'))
    )
    op.execute("ALTER TABLE budget_spend NO FORCE ROW LEVEL SECURITY")
    op.execute(FILL)
    op.execute("ALTER TABLE budget_spend FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE spend_months ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE spend_months FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON spend_months USING ({POLICY})")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON spend_months TO fcio_app")
    versions = "FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('tenant_id')"
    op.execute(f"CREATE TRIGGER spend_months_versions_insert AFTER INSERT ON spend_months "
               f"REFERENCING NEW TABLE AS changed {versions}")
    op.execute(f"CREATE TRIGGER spend_months_versions_update AFTER UPDATE ON spend_months "
               f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {versions}")
    op.execute(f"CREATE TRIGGER spend_months_versions_delete AFTER DELETE ON spend_months "
               f"REFERENCING OLD TABLE AS changed {versions}")
    op.execute(f"CREATE TRIGGER spend_months_versions_truncate AFTER TRUNCATE ON spend_months {versions}")
    op.execute(CREATE_SUM)
    call = "FOR EACH STATEMENT EXECUTE FUNCTION sum_spend_months()"
    op.execute(f"CREATE TRIGGER budget_spend_months_insert AFTER INSERT ON budget_spend "
               f"REFERENCING NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER budget_spend_months_update AFTER UPDATE ON budget_spend "
               f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER budget_spend_months_delete AFTER DELETE ON budget_spend "
               f"REFERENCING OLD TABLE AS changed {call}")


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER budget_spend_months_{event} ON budget_spend")
    op.execute("DROP FUNCTION sum_spend_months()")
    op.drop_table('spend_months')
