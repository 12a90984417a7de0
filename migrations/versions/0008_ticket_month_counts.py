"""ticket month counts: the database keeps every PSA source's monthly figures as tickets change

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Until now a write of tickets recounted each month it touched from the stored tickets, under an
advisory lock per tenant and source until commit (a recount counts what its statement sees). A
month of 30,000 tickets took 5-10 ms to recount, so pushes into one busy tenant took turns for
that long each and grew slower as the month filled. The figures of every source but `manual`
are now kept by statement-level triggers on `tickets`: each statement adds what its new rows
count and takes away what its old rows counted, grouped by tenant, month (opened, UTC) and
source. Increments commute, and the row lock of a `ticket_months` row is held only from the
trigger to the commit, so concurrent writers are all counted without a recount or a lock of
their own. The transition tables hold the rows really written (an update's old row is the
version it replaced, after waiting for a concurrent writer), so the counts are exact on every
path that writes tickets (the push, the webhook worker, a re-applied mapping, offboarding).

A deleted ticket (status `deleted`) is a tombstone and counts nowhere; a month's row is removed
when its three figures reach zero, so a row exists exactly when tickets were opened in the month.
A delete removes figures but never creates a row (a cascade from an offboarded tenant may have
removed the row already). A transaction that writes tickets together with their figures, as an
export or the seed holds them, sets `app.figures` to `given` (app/db/figures.py) and the
triggers leave the figures to it. The figures stored before this revision were
kept exact by the recount, so they are the starting point.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# One row of +1 (or -1) per counted ticket of {rows}, by the month it was opened in.
COUNTED = """
    SELECT tenant_id, CAST(date_trunc('month', opened_at AT TIME ZONE 'UTC') AS date) AS month, source,
           {sign} * CAST(category = 'SUPPORT' AS integer) AS support,
           {sign} * CAST(category = 'CHANGE' AS integer) AS change,
           {sign} * CAST(category = 'ALERT' AS integer) AS alert
    FROM {rows} WHERE status IS DISTINCT FROM 'deleted'"""


def deltas(*parts: tuple[str, int]) -> str:
    counted = " UNION ALL ".join(COUNTED.format(rows=rows, sign=sign) for rows, sign in parts)
    return (f"SELECT tenant_id, month, source, sum(support) AS support, sum(change) AS change, "
            f"sum(alert) AS alert FROM ({counted}) AS c GROUP BY tenant_id, month, source "
            "HAVING sum(support) <> 0 OR sum(change) <> 0 OR sum(alert) <> 0")


# The rows a statement changes are locked first, all of them and in key order, by a statement of
# their own: two writers of the same months (a push spanning a month's end, tickets moved between
# months) then wait for each other instead of deadlocking. New rows are inserted in key order.
LOCK = """
      PERFORM 1 FROM ticket_months tm JOIN ({deltas}) AS d
        ON tm.tenant_id = d.tenant_id AND tm.month = d.month AND tm.source = d.source
      ORDER BY tm.tenant_id, tm.month, tm.source FOR UPDATE OF tm;"""
# Existing rows take their deltas by UPDATE (a row's check constraint refuses a negative figure in
# an INSERT, even one that would conflict); the others are inserted, in key order, and a row a
# concurrent writer inserted meanwhile takes them on conflict. A delta that would take figures
# from a row that does not exist has nothing to take from and is dropped (a delete cascading from
# an offboarded tenant). A row brought to zero is deleted by a statement of its own (one statement
# may not write a row twice).
WRITE = """
      WITH d AS ({deltas}), updated AS (
        UPDATE ticket_months tm SET support = tm.support + d.support, change = tm.change + d.change,
          alert = tm.alert + d.alert, updated_at = now()
        FROM d WHERE tm.tenant_id = d.tenant_id AND tm.month = d.month AND tm.source = d.source
        RETURNING tm.tenant_id, tm.month, tm.source, tm.support + tm.change + tm.alert AS total
      ), inserted AS (
        INSERT INTO ticket_months AS tm (tenant_id, month, source, support, change, alert)
        SELECT tenant_id, month, source, support, change, alert FROM d
        WHERE support >= 0 AND change >= 0 AND alert >= 0 AND NOT EXISTS (
          SELECT 1 FROM updated u WHERE u.tenant_id = d.tenant_id AND u.month = d.month AND u.source = d.source)
        ORDER BY tenant_id, month, source
        ON CONFLICT (tenant_id, month, source) DO UPDATE SET
          support = tm.support + excluded.support, change = tm.change + excluded.change,
          alert = tm.alert + excluded.alert, updated_at = now()
        RETURNING tm.tenant_id, tm.month, tm.source, tm.support + tm.change + tm.alert AS total
      )
      SELECT array_agg(tenant_id), array_agg(month), array_agg(source) INTO tenants, months, sources
      FROM (SELECT * FROM updated UNION ALL SELECT * FROM inserted) AS written WHERE total = 0;"""

def counting(changes: str) -> str:
    return LOCK.format(deltas=changes) + WRITE.format(deltas=changes)


CREATE_COUNT = f"""
    CREATE FUNCTION count_ticket_months() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
    DECLARE
      tenants uuid[];
      months date[];
      sources text[];
    BEGIN
      IF current_setting('app.figures', true) = 'given' THEN
        RETURN NULL;
      END IF;
      IF TG_OP = 'INSERT' THEN{counting(deltas(("changed", 1)))}
      ELSIF TG_OP = 'UPDATE' THEN{counting(deltas(("changed", 1), ("previous", -1)))}
      ELSE{counting(deltas(("changed", -1)))}
      END IF;
      IF tenants IS NOT NULL THEN
        DELETE FROM ticket_months tm USING unnest(tenants, months, sources) AS z(tenant_id, month, source)
        WHERE tm.tenant_id = z.tenant_id AND tm.month = z.month AND tm.source = z.source
          AND tm.support = 0 AND tm.change = 0 AND tm.alert = 0;
      END IF;
      RETURN NULL;
    END $$"""


def upgrade() -> None:
    op.execute(CREATE_COUNT)
    call = "FOR EACH STATEMENT EXECUTE FUNCTION count_ticket_months()"
    op.execute(f"CREATE TRIGGER tickets_months_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER tickets_months_update AFTER UPDATE ON tickets "
               f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
    op.execute(f"CREATE TRIGGER tickets_months_delete AFTER DELETE ON tickets REFERENCING OLD TABLE AS changed {call}")


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER tickets_months_{event} ON tickets")
    op.execute("DROP FUNCTION count_ticket_months()")
