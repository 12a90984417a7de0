"""Which tenants a transaction wrote: the one place every write of a watched table is seen.

The change counters (app/db/versions.py) must move in the same commit as the rows they stand for,
or a stored answer outlives a change. Statement triggers did that until migration 0019; Citus
cannot run them on distributed tables (infra/README.md, "Triggers on Citus"), so on both engines
the session now sees every write and holds its tenants (`at_commit`, app/db/scope.py): the ORM's
flushes (`after_flush`: each object's tenant) and every statement executed through a session
(`do_orm_execute`), whose tenants are, in this order,

- declared by the caller (`execution_options=declare(tenant_ids)`): a text statement must, and so
  must a call of a function that writes (the kept figures', app/db/figures.py);
- the inserted rows' tenant column (values or the executemany parameters);
- the WHERE's `tenant_id = x`, `tenant_id IN (...)` or `tenant_id = ANY(...)`;
- the statement's RETURNING of the tenant column, read before the caller gets the rows.

A write of a watched table whose tenants none of these gives is refused (`UnknownTenants`), and a
transaction that holds tenants but commits without `write_at_commit` is refused at commit, so no
write can miss its counter silently; on one node the suite checks every write it makes against
what the triggers did (tests/oracle.py). ORM writes of tickets and spend are refused: only the
paths that hold their figures' deltas write them (app/db/figures.py). Just before COMMIT the held tenants are bumped by one statement
(`bump_versions`, migration 0019), rows in key order as the triggers' were: a counter row is
locked only while its writer commits. A tenant named but not written (a WHERE that matched no
row) is bumped too: one answer less is served from store, never one too many.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList, TextClause
from sqlalchemy.sql.operators import eq, in_op

from app.db.scope import at_commit
from app.db.versions import WATCHED

TENANTS = "fcio_tenants"  # the execution option that declares a statement's tenants
BUMP = text("SELECT bump_versions(CAST(:tenants AS uuid[]), CAST(:roster AS uuid[]))")
# The tables a text statement writes: what follows INSERT INTO, UPDATE, DELETE FROM (a keyword
# caught after `DO UPDATE` or `FOR UPDATE` is no table name, so never watched).
TARGETS = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z_][a-z0-9_]*)', re.IGNORECASE)


class TrackedSession(Session):
    """The app's sessions (app/db/engine.py `make_sessionmaker`): every write seen, as below."""


class UnknownTenants(RuntimeError):
    """A write of a watched table whose tenants the session cannot tell (see the module's docstring)."""


def declare(tenant_ids: Iterable[uuid.UUID], roster: Iterable[uuid.UUID] = ()) -> dict:
    """Execution options declaring that a statement writes the rows of `tenant_ids` (and no others),
    and, when it writes tenants rows, the practices they were and are in (`roster`)."""
    return {TENANTS: (frozenset(tenant_ids), frozenset(roster))}


def hold(session, tenant_ids: Iterable[uuid.UUID], roster: Iterable[uuid.UUID] = ()) -> None:
    """Hold `tenant_ids` (and the practices whose tenants rows were written, `roster`) for the bump at commit."""
    for tenant_id in tenant_ids:
        if tenant_id is not None:
            at_commit(session, bump, ("tenant", tenant_id))
    for practice_id in roster:
        if practice_id is not None:
            at_commit(session, bump, ("roster", practice_id))


def hold_rows(session, table: str, rows: Iterable[dict]) -> None:
    """Hold the tenants of `rows` (as dicts) written to `table` by a path the session does not see
    (the seed's driver-level bulk insert); nothing for an unwatched table."""
    column = WATCHED.get(table)
    if column is not None:
        rows = list(rows)
        hold(session, {row[column] for row in rows}, {row["practice_id"] for row in rows} if table == "tenants" else ())


async def bump(session, rows: set) -> None:
    """The held tenants' counters and their practices' (`data`; `roster` too for `roster`), one statement."""
    await session.execute(BUMP, {"tenants": sorted(i for kind, i in rows if kind == "tenant"),
                                 "roster": sorted(i for kind, i in rows if kind == "roster")})


bump.late = True  # after the other writers at commit: theirs may write watched figures (app/db/scope.py)


# Tables whose writes move kept figures (app/db/figures.py): only the paths that hold the deltas write them.
FIGURED = {"tickets": "app.tickets.actions.write_tickets", "budget_spend": "app.budgets.actions.write_spend"}


@event.listens_for(TrackedSession, "after_flush")
def flushed(session: Session, _context) -> None:
    """The ORM's inserts, updates and deletes: each object names its tenant (a tenant, its practice)."""
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    for obj in changed:
        table = getattr(obj, "__table__", None)
        if getattr(table, "name", None) in FIGURED:
            raise UnknownTenants(f"{table.name} rows are written by {FIGURED[table.name]}, which keeps their figures")
        column = WATCHED.get(getattr(table, "name", None))
        if column is None:
            continue
        hold(session, [getattr(obj, column)])
        if table.name == "tenants":  # the practice it is in, and the one it left
            hold(session, (), [obj.practice_id, *(inspect(obj).attrs.practice_id.history.deleted or ())])


@event.listens_for(TrackedSession, "do_orm_execute")
def executed(state: ORMExecuteState):
    """Every statement run through a session: a write of a watched table holds its tenants."""
    statement = state.statement
    declared = state.execution_options.get(TENANTS)
    if declared is not None:  # also a function call that writes
        hold(state.session, *declared)
        return None
    if isinstance(statement, TextClause):
        tables = {t.lower() for t in TARGETS.findall(statement.text)} & WATCHED.keys()
    elif state.is_insert or state.is_update or state.is_delete:
        tables = {statement.table.name} & WATCHED.keys()
    else:
        return None
    if not tables:
        return None
    if isinstance(statement, TextClause):
        raise UnknownTenants(f"a text statement writes {sorted(tables)}: declare its tenants "
                             "(execution_options=written.declare(tenant_ids, practice_ids))")
    column = statement.table.c[WATCHED[statement.table.name]]
    if "tenants" in tables:  # new tenants rows name their practice; a change of others does not
        found = inserted(statement, statement.table.c.id, state.parameters) if state.is_insert else None
        if found is None:
            raise UnknownTenants("a write of tenants rows: declare them and their practices, old and new "
                                 "(execution_options=written.declare(tenant_ids, practice_ids)), or use the ORM")
        hold(state.session, found, inserted(statement, statement.table.c.practice_id, state.parameters) or ())
        return None
    found = inserted(statement, column, state.parameters) if state.is_insert else pinned(statement, column, state.parameters)
    if found is not None:
        hold(state.session, found)
        return None
    if any(getattr(c, "name", None) == column.name for c in statement._returning):
        result = state.invoke_statement().freeze()
        found = [row._mapping[column.name] for row in result().all()]
        hold(state.session, found)
        return result()
    raise UnknownTenants(f"a write of {statement.table.name} names no {column.name}: pin it in the WHERE, "
                         "return it, or declare the tenants")


def inserted(statement, column, parameters) -> list | None:
    """The `column` of an INSERT's rows (their tenants), from its values or its executemany
    parameters (None: a SELECT's)."""
    if statement.select is not None:
        return None
    rows = [*([statement._values] if statement._values else []), *(r for m in statement._multi_values for r in m)]
    found = [value_of(v, parameters) for row in rows for k, v in row.items() if getattr(k, "key", k) == column.key]
    for params in parameters if isinstance(parameters, list) else [parameters] if parameters else []:
        if column.key in params:
            found.append(params[column.key])
    return found or None


def pinned(statement, column, parameters) -> list | None:
    """The tenants an UPDATE's or DELETE's WHERE pins its rows to (None when it names none)."""
    clauses, found = list(statement._where_criteria), None
    while clauses:
        clause = clauses.pop()
        if isinstance(clause, BooleanClauseList) and clause.operator.__name__ == "and_":
            clauses.extend(clause.clauses)
        elif (isinstance(clause, BinaryExpression) and clause.operator in (eq, in_op)
              and getattr(clause.left, "table", None) is column.table and clause.left.key == column.key):
            right = clause.right
            while not isinstance(right, BindParameter) and hasattr(right, "element"):
                right = right.element
            if isinstance(right, BindParameter):
                value = value_of(right, parameters)
                found = [*(found or []), *(value if isinstance(value, list | tuple | set | frozenset) else [value])]
    return found


def value_of(value, parameters):
    """A bound value, or the parameter given for it at execution."""
    if not isinstance(value, BindParameter):
        return value
    if isinstance(parameters, dict) and value.key in parameters:
        return parameters[value.key]
    return value.effective_value


@event.listens_for(TrackedSession, "before_commit")
def committing(session: Session) -> None:
    """A transaction that holds writes commits only through `transaction()` (which writes them first)."""
    if session.info.get("at_commit") and not session.in_nested_transaction():  # a savepoint's release is no commit
        raise RuntimeError("a session commits writes held for commit without writing them: "
                           "open it with app.db.scope.transaction (or tenant_session)")
