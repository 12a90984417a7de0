"""fcio on a Citus cluster: how a connection knows it talks to a coordinator, and what `fcio migrate`
does there after the alembic migrations (infra/README.md, "Running fcio on Citus").

A single-node PostgreSQL keeps exactly the schema the migrations make; on a coordinator (the
`citus` extension is installed, or FCIO_CITUS=true) the migrations run as everywhere, and then
`distribute` makes the schema a distributed one, idempotently, so `fcio migrate` after a later
migration brings its new tables in too:

- every tenant-owned table is distributed on `tenant_id`, all co-located, so a tenant's rows are
  one shard group on one worker, and a statement that names its tenant is routed to that worker;
- the global tables (`GLOBAL_TABLES`: practices, users, tenants, grants, the standards catalog,
  the change counters, ...) become reference tables, a copy on every node. The counters stay
  global: the statement that authenticates a request reads them beside users and grants, and
  Citus plans a correlated subquery over reference tables only when every table in it is one;
- Citus refuses a policy with a subquery on a distributed table, so each tenant table's policy is
  rewritten without one: the listed tenants as before, and the practice's ACTIVE tenants through
  `fcio_practice_sees`, which reads the `tenants` reference table (its copy on the node that runs
  the shard's query);
- the runtime role may log in on the workers: the coordinator opens its worker connections as
  the current role, `fcio_app`;
- Citus refuses to distribute a table with triggers: the schema has none. The change counters and
  the kept figures that triggers kept until migrations 0019 and 0020 are the app's, at commit, on
  both engines (app/db/written.py, app/db/figures.py; infra/README.md, "Triggers on Citus").
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import GLOBAL_TABLES, Base

PRESENT = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"


def watch(engine: AsyncEngine) -> None:
    """Record on each new connection of `engine` whether its server is a Citus node (one statement
    per connection, not per request)."""

    @event.listens_for(engine.sync_engine, "connect")
    def detect(dbapi_connection, record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(PRESENT)
        record.info["citus"] = bool(cursor.fetchone()[0])
        cursor.close()


async def on_citus(session: AsyncSession) -> bool:
    """The session's connection is to a Citus coordinator (known since it connected)."""
    return bool((await session.connection()).info.get("citus"))


def tenant_part(statement, name: str, on_citus: bool):
    """`statement`, a read of one tenant table by the tenants of a batch (`tenant_id = ANY(...)`), as
    a part of a larger read: a derived table on one node, where PostgreSQL pushes the larger
    read's conditions into it (an index scan per use); a MATERIALIZED CTE on a coordinator, which
    Citus runs first as a subplan on those tenants' shards, the rest then joining its rows on the
    coordinator (Citus refuses a derived table over a distributed table joined to, or correlated
    on, rows of its own such as key rows, once the batch spans shards)."""
    return statement.cte(name).prefix_with("MATERIALIZED") if on_citus else statement.subquery(name)


def enabled(conn: Connection) -> bool:
    """The database is a coordinator. FCIO_CITUS=true says it must be one: then a database without
    the extension is an error, not a single node migrated by mistake."""
    present = bool(conn.scalar(text(PRESENT)))
    if not present and os.environ.get("FCIO_CITUS", "").lower() in ("1", "true", "yes"):
        raise RuntimeError("FCIO_CITUS=true, but this database has no citus extension: create it on every "
                           "node and add the workers first (infra/README.md, 'Running fcio on Citus')")
    return present


# --- the distributed schema ------------------------------------------------------------------

# Reference tables the runtime role only reads and copies from (`open_workers`).
READ_ONLY_SOURCES = ("standard_library",)

# The tenant policy without a subquery (Citus refuses one on a distributed table). The listed
# tenants as on one node; a practice's ACTIVE tenants through a function reading the `tenants`
# reference table. STRICT: without a practice setting it is not called at all. A function on a
# shard's query that reads another Citus table is a "nested distributed execution", which Citus
# refuses because a distributed table's shard could move meanwhile; a reference table's copy
# never moves and is on every node, so the function allows it for itself alone.
PRACTICE_SEES = """
    CREATE OR REPLACE FUNCTION fcio_practice_sees(tenant uuid, practice uuid) RETURNS boolean
    LANGUAGE sql STABLE STRICT
    SET citus.allow_nested_distributed_execution = on SET search_path = public, pg_temp AS $$
      SELECT EXISTS (SELECT 1 FROM tenants t WHERE t.id = tenant AND t.status = 'ACTIVE' AND t.practice_id = practice)
    $$"""
#
# The listed tenants are found as text: `strpos(<setting>, tenant_id::text) > 0`. The setting is
# `{uuid,uuid,...}` of canonical UUIDs (lowercase, hyphenated: app/db/scope.py `tenant_array`, or a
# uuid[] cast to text in app/auth/access.py), each 36 characters of hex digits and hyphens, so a
# tenant's text occurs in it only as one of its elements: the same rows as `= ANY(<setting>::uuid[])`,
# and no rows without a setting. Without the one node's subquery (evaluated once per statement),
# PostgreSQL would parse the whole setting into a uuid[] for every row a shard checks: 1,021 ms
# against 141 ms for 18,765 rows under 200 listed tenants (10 ms without row security), measured
# on the test cluster (2026-12-02; infra/README.md).
TENANT_MATCH = ("strpos(NULLIF(current_setting('app.tenant_ids', true), ''), tenant_id::text) > 0 "
                "OR fcio_practice_sees(tenant_id, NULLIF(current_setting('app.practice_id', true), '')::uuid)")


# The counters' bump (migration 0019) and the columns it adds to.
BUMP = "bump_versions(uuid[], uuid[])"
COUNTERS = {"tenant_versions": "version", "practice_versions": "roster, data"}


def set_null_links(target=None) -> list[tuple[str, str]]:
    """(table, column) of every tenant foreign key that sets its column to NULL when the row it names
    (in `target`, when given) is deleted, from the models."""
    return sorted((table.name, key.ondelete.removeprefix("SET NULL (").removesuffix(")"))
                  for table in Base.metadata.tables.values() for key in table.foreign_key_constraints
                  if (key.ondelete or "").startswith("SET NULL (") and (target is None or key.referred_table is target))


# The tenants of a list by the shard group holding their rows (every tenant table is co-located,
# so any one's shard names the group), groups in shard order, each in id order.
SHARD_GROUPS = text("SELECT array_agg(t ORDER BY t) FROM unnest(CAST(:ids AS uuid[])) AS t "
                    "GROUP BY get_shard_id_for_distribution_column(CAST(:table AS regclass), t) "
                    "ORDER BY get_shard_id_for_distribution_column(CAST(:table AS regclass), t)")


async def shard_groups(session: AsyncSession, tenant_ids: list[uuid.UUID]) -> list[list[uuid.UUID]]:
    """`tenant_ids` grouped by the shard group holding their rows, on a Citus coordinator."""
    groups = await session.scalars(SHARD_GROUPS, {"ids": tenant_ids, "table": layout()[1][0]})
    return [list(group) for group in groups]


def layout() -> tuple[list[str], list[str]]:
    """(reference tables, distributed tables), from the models."""
    return sorted(GLOBAL_TABLES), sorted(set(Base.metadata.tables) - GLOBAL_TABLES)


def distribute(conn: Connection, role: str) -> list[str]:
    """Make the migrated schema on this coordinator a distributed one (the module's docstring) for
    the runtime `role`; `conn` is the owner's, in one transaction. Tables already distributed are
    left as they are. Returns the tables it distributed or replicated."""
    reference, distributed = layout()
    done = set(conn.scalars(text("SELECT logicalrelid::regclass::text FROM pg_dist_partition")))
    # Every tenant table joins the co-location group of one already distributed, or of the first.
    anchor = next((t for t in distributed if t in done), distributed[0])
    new = [t for t in reference + sorted(distributed, key=lambda t: t != anchor) if t not in done]
    conn.execute(text(PRACTICE_SEES))
    # The counters' bump runs as the runtime role here: Citus refuses a transaction's statements on
    # placements another role wrote in it (a request writes `tenants`, the bump reads it), so the
    # role that writes the data writes the counters, which it may only insert and add to. Citus
    # serializes the writes of a reference table (an exclusive lock on its shard until commit: every
    # writer of the cluster would queue behind the committing one); the bump's increments commute
    # and each backend writes rows of its own, so it declares them commutative (shared locks).
    conn.execute(text(f"ALTER FUNCTION {BUMP} SECURITY INVOKER SET citus.all_modifications_commutative = on"))
    for table, columns in COUNTERS.items():
        conn.execute(text(f"GRANT INSERT, UPDATE ({columns}) ON {table} TO {role}"))
    # What those keys' action did, the delete path does as the runtime role, under row security
    # (app/editing.py `unlink`): it may set the link columns, also of decisions, which it never
    # updates otherwise. (A SECURITY DEFINER function cannot do it for the role: Citus refuses a
    # transaction's writes to placements another role wrote in it.)
    for table, column in set_null_links():
        conn.execute(text(f"GRANT UPDATE ({column}) ON {table} TO {role}"))
    # Every tenant table's policy is (re)written, distributed or not yet: a cluster distributed by
    # an earlier release gets today's form (Citus propagates the change to the shards).
    for table in distributed:
        conn.execute(text(f"ALTER POLICY tenant_isolation ON {table} USING ({TENANT_MATCH})"))
    if new:
        keys = foreign_keys(conn, new)
        for table, name, _ in keys:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for table in new:
            if table in reference:
                conn.execute(text("SELECT create_reference_table(:t)"), {"t": table})
            else:  # named, not 'default', which could join another group of uuid-distributed tables
                conn.execute(text("SELECT create_distributed_table(:t, 'tenant_id', colocate_with => :with)"),
                             {"t": table, "with": "none" if table == anchor else anchor})
        for table, name, definition in keys:
            conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {without_set_null(definition)}'))
    return new


def open_workers(conn: Connection, role: str) -> None:
    """What the runtime role needs on the workers, after `distribute` has committed (a worker's own
    connection sees only committed tables). Roles are propagated to the workers as they are:
    NOLOGIN, as the coordinator keeps it; there it must log in."""
    on_workers(conn, f"ALTER ROLE {role} LOGIN")
    # An INSERT ... SELECT from one reference table into another (a new practice's standards from
    # the library) has the coordinator lock the source on the workers (`lock_shard_resources`),
    # which Citus allows only to a role that may modify the table there: on the workers (not on
    # the coordinator, which the app reads and writes through) the runtime role may UPDATE it.
    for table in READ_ONLY_SOURCES:
        on_workers(conn, f"GRANT UPDATE ON {table} TO {role}")


def on_workers(conn: Connection, sql: str) -> None:
    """Run `sql` on each worker alone: not propagated from there (a worker propagates DDL to every
    node, and two workers doing so at once deadlock), and any failure raised."""
    for node, port, ok, result in conn.execute(text(
            "SELECT nodename, nodeport, success, result FROM run_command_on_workers(:sql)"),
            {"sql": f"SET citus.enable_ddl_propagation = off; {sql}"}):
        if not ok:
            raise RuntimeError(f"{sql} failed on {node}:{port}: {result}")


def without_set_null(definition: str) -> str:
    """A foreign key between co-located tables whose delete sets its link column to NULL
    (`ON DELETE SET NULL (initiative_id)`, say) is refused by Citus, which sees the distribution
    column in the key and does not read the column list; on a cluster the key is kept without the
    action and the delete path clears the links itself (app/editing.py `unlink`)."""
    head, found, _ = definition.partition(" ON DELETE SET NULL (")
    return head if found else definition


def foreign_keys(conn: Connection, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of every foreign key from or to `tables`: Citus takes them only
    between tables it already knows, so they are dropped before and added back after."""
    return [tuple(r) for r in conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(:t) OR confrelid::regclass::text = ANY(:t)) "
        "ORDER BY 1, 2"), {"t": tables})]
