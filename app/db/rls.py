"""The SQL of the database's tenancy lock, used by migrations (one definition for every table).

The policy reads the transaction-local `app.tenant_ids`; the scalar subquery makes the planner
evaluate it once (an InitPlan) and still use the primary-key index. No setting: no rows. The
USING clause doubles as WITH CHECK, so a row of another tenant can be neither read nor written.
"""

from __future__ import annotations

RUNTIME_ROLE = "fcio_app"
POLICY = "tenant_isolation"
# The cast sits inside the subquery too, so the id list is parsed once per statement, not once per
# written row (85 us a row with 200 tenants in scope before, measured by the seed); the outer cast
# keeps the planner reading `= ANY (array)` rather than a subquery (see DESIGN.md).
TENANT_MATCH = (
    "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
)


def create_runtime_role() -> list[str]:
    return [
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_ROLE}') THEN
            CREATE ROLE {RUNTIME_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$""",
        # The URL's role must be able to `SET ROLE fcio_app` at connect.
        f"GRANT {RUNTIME_ROLE} TO current_user",
        f"GRANT USAGE ON SCHEMA public TO {RUNTIME_ROLE}",
    ]


def enable_tenant_rls(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY} ON {table} USING ({TENANT_MATCH})",
    ]


def disable_tenant_rls(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def grant_runtime(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> str:
    return f"GRANT {privileges} ON {table} TO {RUNTIME_ROLE}"


def revoke_runtime(table: str) -> str:
    return f"REVOKE ALL ON {table} FROM {RUNTIME_ROLE}"
