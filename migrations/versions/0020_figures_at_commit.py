"""kept figures from the app at commit: a transaction's ticket and spend deltas added by one call each

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

Until now statement triggers on `tickets` and `budget_spend` (0008, 0009) put each statement's
deltas in the transaction's pending rows, and a deferred trigger added them to `ticket_months`
and `spend_months` at commit (0012). Citus cannot run those triggers on its shards
(infra/README.md, "Triggers on Citus"), so on both engines the app now holds the deltas of the
rows it writes (the old state read under the rows' locks: app/tickets, app/budgets) and, just
before COMMIT, hands a tenant's deltas to one of these functions (app/db/figures.py). They add
them as 0008 and 0009 did: rows in key order (two committers of the same months wait for each
other, never deadlock), a delta with no row to take from dropped, a ticket month brought to zero
deleted, a spend month kept at zero. Each statement names its tenant and one row, so on a
cluster each is routed to the tenant's worker. Locked only while the writer commits, as before.

The pending tables, their triggers and the functions go. A write that brings its figures along
(an import, the seed) or takes them with its rows (an offboarding) holds no deltas, so the
`app.figures` setting that told the triggers so is gone too.
"""

from alembic import context, op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ADD_TICKET_MONTHS = """
    CREATE FUNCTION add_ticket_months(tenant uuid, months date[], sources text[], supports integer[],
                                      changes integer[], alerts integer[]) RETURNS void LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    DECLARE
      d record;
      total integer;
    BEGIN
      FOR d IN SELECT * FROM unnest(months, sources, supports, changes, alerts) AS u(month, source, support, change, alert)
               WHERE support <> 0 OR change <> 0 OR alert <> 0 ORDER BY month, source LOOP
        UPDATE ticket_months SET support = support + d.support, change = change + d.change, alert = alert + d.alert,
               updated_at = now()
        WHERE tenant_id = tenant AND month = d.month AND source = d.source RETURNING support + change + alert INTO total;
        IF NOT FOUND THEN
          CONTINUE WHEN d.support < 0 OR d.change < 0 OR d.alert < 0;  -- nothing to take from
          INSERT INTO ticket_months AS tm (tenant_id, month, source, support, change, alert)
          VALUES (tenant, d.month, d.source, d.support, d.change, d.alert)
          ON CONFLICT (tenant_id, month, source) DO UPDATE SET support = tm.support + excluded.support,
            change = tm.change + excluded.change, alert = tm.alert + excluded.alert, updated_at = excluded.updated_at
          RETURNING support + change + alert INTO total;
        END IF;
        IF total = 0 THEN
          DELETE FROM ticket_months WHERE tenant_id = tenant AND month = d.month AND source = d.source;
        END IF;
      END LOOP;
    END $$"""

ADD_SPEND_MONTHS = """
    CREATE FUNCTION add_spend_months(tenant uuid, months date[], amounts numeric[]) RETURNS void LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    DECLARE
      d record;
    BEGIN
      FOR d IN SELECT * FROM unnest(months, amounts) AS u(month, amount) WHERE amount <> 0 ORDER BY month LOOP
        UPDATE spend_months SET amount = amount + d.amount WHERE tenant_id = tenant AND month = d.month;
        IF NOT FOUND AND d.amount > 0 THEN  -- a delete never creates a row
          INSERT INTO spend_months AS s (tenant_id, month, amount) VALUES (tenant, d.month, d.amount)
          ON CONFLICT (tenant_id, month) DO UPDATE SET amount = s.amount + excluded.amount;
        END IF;
      END LOOP;
    END $$"""

FUNCTIONS = ("add_ticket_months(uuid, date[], text[], integer[], integer[], integer[])",
             "add_spend_months(uuid, date[], numeric[])")


def earlier(revision: str):
    """An earlier revision's module, for the SQL it ran (a migration imports nothing of the app)."""
    return context.script.get_revision(revision).module


def upgrade() -> None:
    op.execute(earlier("0019").DROP_TRIGGERS.format(functions="'count_ticket_months', 'sum_spend_months'"))
    for table in earlier("0012").PENDING:
        op.drop_table(table)  # and their deferred triggers
    for function in ("count_ticket_months", "apply_ticket_months", "sum_spend_months", "apply_spend_months"):
        op.execute(f"DROP FUNCTION {function}()")
    op.execute(ADD_TICKET_MONTHS)
    op.execute(ADD_SPEND_MONTHS)
    for function in FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO fcio_app")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
    op.execute(earlier("0008").CREATE_COUNT)
    op.execute(earlier("0009").CREATE_SUM)
    for table, function in (("tickets", "count_ticket_months"), ("budget_spend", "sum_spend_months")):
        name = "tickets_months" if table == "tickets" else "budget_spend_months"
        call = f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        op.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} "
                   f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed {call}")
    earlier("0012").upgrade()
