"""kept figures at commit: a write's figure deltas wait in a row of its own and are added at commit

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Migrations 0008 and 0009 added each statement's deltas to `ticket_months` and `spend_months`
from the statement's trigger, so the figure rows stayed locked from that statement to the
commit: across every round trip the writer made in between. Concurrent pushes into one tenant's
month queued behind a push that was idle in transaction, waiting for its API process to send the
next statement (the mixed workload's p99). Now the statement trigger only adds its deltas to a
row of the writer's own, keyed by its transaction id (`ticket_months_pending`,
`spend_months_pending`: nobody else writes that row, so nobody waits for it), and a deferred
constraint trigger on those rows adds all of the transaction's deltas to the figures at commit,
locking the figure rows in key order (no deadlock between two committers) and removing the
pending rows. A figure row is locked only while its writer commits. Readers read the figures as
before: pending rows never outlive their transaction (a rollback takes them away with it), so no
committed row of them ever exists. A write in a transaction that then reads the figures, before
its commit, reads them without its own deltas; no path of the app does that.

Both tables are tenant data under the same policy as every tenant table; stored answers do not
read them, so they have no change-counter triggers (`UNWATCHED`, app/db/versions.py). They have
no foreign key to `tenants`: offboarding deletes the tenant, and the cascade to its spend and
tickets leaves deltas of a tenant already gone, which at commit find no figure rows to take from.
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

XACT = "CAST(CAST(pg_current_xact_id() AS text) AS bigint)"


def earlier(revision: str):
    """An earlier revision's module, for the SQL it ran (a migration imports nothing of the app)."""
    return context.script.get_revision(revision).module


def ticket_pending(deltas: str) -> str:
    """The statement's deltas, added to the transaction's own pending rows."""
    return f"""
      INSERT INTO ticket_months_pending AS p (tenant_id, xact, month, source, support, change, alert)
      SELECT tenant_id, {XACT}, month, source, support, change, alert FROM ({deltas}) AS d
      ORDER BY tenant_id, month, source
      ON CONFLICT (tenant_id, xact, month, source) DO UPDATE SET
        support = p.support + excluded.support, change = p.change + excluded.change, alert = p.alert + excluded.alert;"""


def count_tickets() -> str:
    """0008's statement trigger, with the deltas kept pending until commit."""
    deltas = earlier("0008").deltas
    return f"""
    CREATE OR REPLACE FUNCTION count_ticket_months() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    BEGIN
      IF current_setting('app.figures', true) = 'given' THEN
        RETURN NULL;
      END IF;
      IF TG_OP = 'INSERT' THEN{ticket_pending(deltas(("changed", 1)))}
      ELSIF TG_OP = 'UPDATE' THEN{ticket_pending(deltas(("changed", 1), ("previous", -1)))}
      ELSE{ticket_pending(deltas(("changed", -1)))}
      END IF;
      RETURN NULL;
    END $$"""

# At commit: every pending delta of the transaction at once (the first pending row's trigger takes
# them all; the others find none), then written as 0008 wrote a statement's: the rows locked first
# in key order, a delta with no row to take from dropped, a row brought to zero deleted.
TAKE_TICKETS = f"""
      WITH taken AS (
        DELETE FROM ticket_months_pending WHERE xact = {XACT} RETURNING tenant_id, month, source, support, change, alert
      )
      SELECT array_agg(tenant_id ORDER BY tenant_id, month, source), array_agg(month ORDER BY tenant_id, month, source),
             array_agg(source ORDER BY tenant_id, month, source), array_agg(support ORDER BY tenant_id, month, source),
             array_agg(change ORDER BY tenant_id, month, source), array_agg(alert ORDER BY tenant_id, month, source)
      INTO d_tenants, d_months, d_sources, d_supports, d_changes, d_alerts FROM taken
      WHERE support <> 0 OR change <> 0 OR alert <> 0;"""
TAKEN_TICKETS = ("SELECT * FROM unnest(d_tenants, d_months, d_sources, d_supports, d_changes, d_alerts) "
                 "AS d(tenant_id, month, source, support, change, alert)")


def apply_tickets() -> str:
    return f"""
    CREATE FUNCTION apply_ticket_months() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    DECLARE
      d_tenants uuid[]; d_months date[]; d_sources text[]; d_supports integer[]; d_changes integer[]; d_alerts integer[];
      tenants uuid[]; months date[]; sources text[];
    BEGIN{TAKE_TICKETS}
      IF d_tenants IS NULL THEN
        RETURN NULL;
      END IF;{earlier("0008").counting(TAKEN_TICKETS)}
      IF tenants IS NOT NULL THEN
        DELETE FROM ticket_months tm USING unnest(tenants, months, sources) AS z(tenant_id, month, source)
        WHERE tm.tenant_id = z.tenant_id AND tm.month = z.month AND tm.source = z.source
          AND tm.support = 0 AND tm.change = 0 AND tm.alert = 0;
      END IF;
      RETURN NULL;
    END $$"""


def spend_pending(rows: str) -> str:
    """The statement's deltas, added to the transaction's own pending rows."""
    return f"""
      INSERT INTO spend_months_pending AS p (tenant_id, xact, month, amount)
      SELECT tenant_id, {XACT}, month, sum(amount) FROM ({rows}) AS c GROUP BY tenant_id, month
      HAVING sum(amount) <> 0 ORDER BY tenant_id, month
      ON CONFLICT (tenant_id, xact, month) DO UPDATE SET amount = p.amount + excluded.amount;"""


def sum_spend() -> str:
    """0009's statement trigger, with the deltas kept pending until commit."""
    new, old = earlier("0009").NEW, earlier("0009").OLD
    return f"""
    CREATE OR REPLACE FUNCTION sum_spend_months() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    BEGIN
      IF current_setting('app.figures', true) = 'given' THEN
        RETURN NULL;
      END IF;
      IF TG_OP = 'INSERT' THEN{spend_pending(new)}
      ELSIF TG_OP = 'UPDATE' THEN{spend_pending(f"{new} UNION ALL {old.format(table='previous')}")}
      ELSE{spend_pending(old.format(table="changed"))}
      END IF;
      RETURN NULL;
    END $$"""

# At commit, as for the ticket figures, then written as 0009 wrote a statement's (a row that
# reaches zero stays, a delete never creates a row).
TAKE_SPEND = f"""
      WITH taken AS (DELETE FROM spend_months_pending WHERE xact = {XACT} RETURNING tenant_id, month, amount)
      SELECT array_agg(tenant_id ORDER BY tenant_id, month), array_agg(month ORDER BY tenant_id, month),
             array_agg(amount ORDER BY tenant_id, month)
      INTO d_tenants, d_months, d_amounts FROM taken WHERE amount <> 0;"""
TAKEN_SPEND = "SELECT * FROM unnest(d_tenants, d_months, d_amounts) AS d(tenant_id, month, amount)"


def apply_spend() -> str:
    return f"""
    CREATE FUNCTION apply_spend_months() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    DECLARE
      d_tenants uuid[]; d_months date[]; d_amounts numeric[];
    BEGIN{TAKE_SPEND}
      IF d_tenants IS NULL THEN
        RETURN NULL;
      END IF;{earlier("0009").summing(TAKEN_SPEND)}
      RETURN NULL;
    END $$"""


PENDING = ("ticket_months_pending", "spend_months_pending")


def upgrade() -> None:
    op.create_table('ticket_months_pending',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('xact', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('support', sa.Integer(), nullable=False),
    sa.Column('change', sa.Integer(), nullable=False),
    sa.Column('alert', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'xact', 'month', 'source', name=op.f('pk_ticket_months_pending'))
    )
    op.create_table('spend_months_pending',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('xact', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'xact', 'month', name=op.f('pk_spend_months_pending'))
    )
    for table in PENDING:
        op.create_index(f'ix_{table}_xact', table, ['xact'], unique=False)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({earlier('0010').tenant_match(table)})")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO fcio_app")
    op.execute(count_tickets())
    op.execute(apply_tickets())
    op.execute(sum_spend())
    op.execute(apply_spend())
    for table, function in (("ticket_months_pending", "apply_ticket_months"), ("spend_months_pending", "apply_spend_months")):
        op.execute(f"CREATE CONSTRAINT TRIGGER {table}_apply AFTER INSERT ON {table} "
                   f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    for table in PENDING:
        op.drop_table(table)
    op.execute("DROP FUNCTION apply_ticket_months()")
    op.execute("DROP FUNCTION apply_spend_months()")
    for revision, function in (("0008", "CREATE_COUNT"), ("0009", "CREATE_SUM")):
        op.execute(getattr(earlier(revision), function).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
