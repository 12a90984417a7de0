"""The triggers' guarantee, kept as the suite's oracle: no write of the app misses its change counter.

Until migration 0019 statement triggers bumped the counters, so no path could miss them; now the
app's sessions do (app/db/written.py). On a single node the suite installs, in a schema of its
own, triggers that record what the old ones bumped (each watched table's statements, as the
runtime role: the tenants of their transition tables, and those tenants' practices), and a
deferred check that, at COMMIT, refuses a transaction whose counters of those tenants and
practices it did not write itself (their rows' `xmin` is the transaction's). Every write any
test makes through the app is checked: a path that bypassed the session's sight of writes fails
its test with "not counted at commit". The kept figures likewise: each month a statement wrote
tickets or spend of is recounted at COMMIT from the rows and must equal its figure ("figures
differ"), and each budget a statement wrote lines of is summed again ("planned totals differ").
Citus cannot run such triggers: the single-node run is the proof for both engines, which share
the mechanism.
"""

from __future__ import annotations

from sqlalchemy import text

from app.db.versions import WATCHED

SCHEMA = "oracle"

# This transaction wrote the row (the low 32 bits of the xact id are the xid in `xmin`).
MINE = "{v}.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text AND {v}.backend = pg_backend_pid()"

# The head of a statement trigger that records what a statement of the runtime role wrote: `rows`
# names its rows (an update's old and new).
RECORDER = f"""CREATE FUNCTION {SCHEMA}.{{name}}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        DECLARE rows text := CASE WHEN TG_OP = 'UPDATE' THEN '(SELECT * FROM changed UNION ALL SELECT * FROM previous)'
                                  ELSE 'changed' END;
        BEGIN
          IF current_setting('role', true) IS DISTINCT FROM 'fcio_app' THEN RETURN NULL; END IF;"""

INSTALL = [
    f"CREATE SCHEMA {SCHEMA}",
    f"CREATE TABLE {SCHEMA}.writes (xact xid8 NOT NULL, written text NOT NULL, tenant uuid NOT NULL, practice uuid)",
    # The tenants a statement of the runtime role wrote, and their practices (a tenants row names
    # its own, old and new; any other row its tenant's, as 0006's trigger read it).
    RECORDER.format(name="expect") + f"""
          IF TG_TABLE_NAME = 'tenants' THEN
            EXECUTE format('INSERT INTO {SCHEMA}.writes SELECT DISTINCT pg_current_xact_id(), %L, id, practice_id FROM %s AS r',
                           TG_TABLE_NAME, rows);
          ELSE
            EXECUTE format('INSERT INTO {SCHEMA}.writes SELECT DISTINCT pg_current_xact_id(), %L, r.tenant_id, t.practice_id '
                           'FROM %s AS r LEFT JOIN tenants t ON t.id = r.tenant_id', TG_TABLE_NAME, rows);
          END IF;
          RETURN NULL;
        END $$""",
    f"""CREATE FUNCTION {SCHEMA}.check() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM tenant_versions v WHERE v.id = NEW.tenant AND {MINE.format(v="v")}) THEN
            RAISE EXCEPTION 'a write of % (tenant %) was not counted at commit', NEW.written, NEW.tenant;
          END IF;
          IF NEW.practice IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM practice_versions v WHERE v.id = NEW.practice AND {MINE.format(v="v")}) THEN
            RAISE EXCEPTION 'a write of % (practice %) was not counted at commit', NEW.written, NEW.practice;
          END IF;
          RETURN NULL;
        END $$""",
    f"CREATE CONSTRAINT TRIGGER counted AFTER INSERT ON {SCHEMA}.writes DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.check()",
    # The months of tickets (per source) and of spend a statement of the runtime role wrote, old and new.
    f"CREATE TABLE {SCHEMA}.months (xact xid8 NOT NULL, tenant uuid NOT NULL, month date NOT NULL, source text)",
    RECORDER.format(name="expect_figures") + f"""
          IF TG_TABLE_NAME = 'tickets' THEN
            EXECUTE format('INSERT INTO {SCHEMA}.months SELECT DISTINCT pg_current_xact_id(), tenant_id, '
                           'CAST(date_trunc(''month'', opened_at AT TIME ZONE ''UTC'') AS date), source FROM %s AS r', rows);
          ELSE
            EXECUTE format('INSERT INTO {SCHEMA}.months SELECT DISTINCT pg_current_xact_id(), tenant_id, month, NULL '
                           'FROM %s AS r', rows);
          END IF;
          RETURN NULL;
        END $$""",
    f"""CREATE FUNCTION {SCHEMA}.check_figures() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        DECLARE kept text; counted text;
        BEGIN
          IF NEW.source IS NOT NULL THEN
            SELECT format('%s/%s/%s', support, change, alert) INTO kept FROM ticket_months
            WHERE tenant_id = NEW.tenant AND month = NEW.month AND source = NEW.source;
            SELECT format('%s/%s/%s', count(*) FILTER (WHERE category = 'SUPPORT'), count(*) FILTER (WHERE category = 'CHANGE'),
                          count(*) FILTER (WHERE category = 'ALERT')) INTO counted
            FROM tickets WHERE tenant_id = NEW.tenant AND source = NEW.source AND status IS DISTINCT FROM 'deleted'
              AND opened_at >= NEW.month::timestamp AT TIME ZONE 'UTC'
              AND opened_at < (NEW.month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
            kept := coalesce(kept, '0/0/0');
          ELSE
            SELECT CAST(amount AS text) INTO kept FROM spend_months WHERE tenant_id = NEW.tenant AND month = NEW.month;
            SELECT CAST(sum(amount) AS text) INTO counted FROM budget_spend WHERE tenant_id = NEW.tenant AND month = NEW.month;
            kept := round(coalesce(kept::numeric, 0), 2)::text; counted := round(coalesce(counted::numeric, 0), 2)::text;
          END IF;
          IF kept::text IS DISTINCT FROM counted THEN
            RAISE EXCEPTION 'figures differ at commit: tenant %, month %, source %: kept %, counted %',
              NEW.tenant, NEW.month, coalesce(NEW.source, '(spend)'), kept, counted;
          END IF;
          RETURN NULL;
        END $$""",
    f"CREATE CONSTRAINT TRIGGER figured AFTER INSERT ON {SCHEMA}.months DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.check_figures()",
    # The budgets whose lines a statement of the runtime role wrote, old and new.
    f"CREATE TABLE {SCHEMA}.budgets (xact xid8 NOT NULL, tenant uuid NOT NULL, budget uuid NOT NULL)",
    RECORDER.format(name="expect_planned") + f"""
          EXECUTE format('INSERT INTO {SCHEMA}.budgets SELECT DISTINCT pg_current_xact_id(), tenant_id, budget_id '
                         'FROM %s AS r', rows);
          RETURN NULL;
        END $$""",
    f"""CREATE FUNCTION {SCHEMA}.check_planned() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        DECLARE kept numeric; counted numeric;
        BEGIN
          SELECT planned INTO kept FROM budgets WHERE tenant_id = NEW.tenant AND id = NEW.budget;
          SELECT coalesce(sum(planned), 0) INTO counted FROM budget_lines WHERE tenant_id = NEW.tenant AND budget_id = NEW.budget;
          IF kept IS NOT NULL AND kept <> counted THEN  -- a budget deleted with its lines has no total to keep
            RAISE EXCEPTION 'planned totals differ at commit: tenant %, budget %: kept %, counted %',
              NEW.tenant, NEW.budget, kept, counted;
          END IF;
          RETURN NULL;
        END $$""",
    f"CREATE CONSTRAINT TRIGGER planned AFTER INSERT ON {SCHEMA}.budgets DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.check_planned()",
]


def watch(table: str, function: str = "expect") -> list[str]:
    call = f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.{function}()"
    name = f"oracle_{function}"
    return [f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed {call}",
            f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed {call}"]


async def install(engine) -> None:
    """The oracle in the database of `engine` (its owner's)."""
    async with engine.begin() as conn:
        figured = [s for table in ("tickets", "budget_spend") for s in watch(table, "expect_figures")]
        figured += watch("budget_lines", "expect_planned")
        for sql in INSTALL + [s for table in sorted(WATCHED) for s in watch(table)] + figured:
            await conn.execute(text(sql))
