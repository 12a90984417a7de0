"""Answer a request with its compiled statement (or a stored answer), or say None so the executor answers it."""

from __future__ import annotations

import dataclasses
import re
import sys
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.api.compiled import answers, document, fields  # noqa: F401  (fields registers the compilers)
from app.api.compiled.compiler import Compiler, Unsupported
from app.auth.principal import Principal
from app.db import citus, driver

COMPILED_KEPT = 2048  # requests' compilations kept per process (each statement's text once)


@dataclass(frozen=True)
class Compiled:
    statement: str  # one row: the answer's JSON text and, when `expiring`, when it may change (epoch seconds)
    params: tuple[Any, ...]  # $1, $2, ... of the statement, in order
    expiring: bool  # the answer depends on the clock, up to the time the statement's second column says
    # The tenants the answer reads, when its root names them (`tenant(id:)`): its stored answer
    # depends on their counters only. None: on everything the caller sees.
    footprint: frozenset[uuid.UUID] | None
    storable: bool = True


def compile_request(schema, principal: Principal, query: str, variables: dict | None,
                    operation_name: str | None, routed: bool = False) -> Compiled | None:
    """The request's statement, or None when the executor must answer it. `routed` (on a Citus
    coordinator): only a statement about one tenant, which Citus sends whole to its node."""
    graphql_schema = schema._schema
    parsed = document.valid_document(graphql_schema, schema.compiled_validation_rules, query)
    operation = document.query_operation(parsed, operation_name) if parsed else None
    values = document.coerced_variables(graphql_schema, operation, variables) if operation else None
    if values is None:
        return None
    compiler = Compiler(graphql_schema, values, principal, routed)
    try:
        body = compiler.object("Query", "", operation)
    except Unsupported:
        return None
    footprint = None if compiler.footprint is None else frozenset(compiler.footprint)
    if not compiler.clock:
        return Compiled(*used_parameters(f"SELECT {body}", compiler.params), False, footprint)
    # Until the earliest upcoming meeting of the tenants read, every next meeting stays next.
    tenant_ids = footprint if footprint is not None else principal.listed_tenants
    if tenant_ids is None:  # a whole practice: finding that time would cost a probe per tenant
        return Compiled(*used_parameters(f"SELECT {body}", compiler.params), False, footprint, storable=False)
    expiry = fields.next_meeting_change(compiler, tenant_ids)
    statement = f"SELECT {body}, extract(epoch FROM {expiry})::float8"
    return Compiled(*used_parameters(statement, compiler.params), True, footprint)


PARAMETER = re.compile(r"\$(\d+)")


def used_parameters(statement: str, params: list) -> tuple[str, tuple]:
    """The statement with only the parameters it refers to, numbered again from $1 in order: a field
    may make a parameter its text then leaves out (a page's limit when it numbers its rows), and
    PostgreSQL cannot type a parameter that appears nowhere."""
    used = sorted({int(n) for n in PARAMETER.findall(statement)})
    if len(used) == len(params):
        return statement, tuple(params)
    number = {old: new for new, old in enumerate(used, 1)}
    return PARAMETER.sub(lambda m: f"${number[int(m[1])]}", statement), tuple(params[n - 1] for n in used)


class Compilations:
    """The compiled form of recent requests, by the same key as their stored answers: a page asked
    again is not compiled again (compiling the dashboard took longer than serving its answer)."""

    def __init__(self, kept: int = COMPILED_KEPT):
        self.kept = kept
        self._entries: OrderedDict[Hashable, Compiled | None] = OrderedDict()

    def get(self, schema, principal: Principal, entry_key: Hashable, query: str, variables: dict | None,
            operation_name: str | None, routed: bool) -> Compiled | None:
        """`routed` is the same for every request of a process: its database is one engine."""
        if entry_key in self._entries:
            self._entries.move_to_end(entry_key)
            return self._entries[entry_key]
        compiled = compile_request(schema, principal, query, variables, operation_name, routed)
        if compiled is not None:  # one copy of each statement's text (a report's is 48 kB)
            compiled = dataclasses.replace(compiled, statement=sys.intern(compiled.statement))
        self._entries[entry_key] = compiled
        if len(self._entries) > self.kept:
            self._entries.popitem(last=False)
        return compiled

    def __len__(self) -> int:
        return len(self._entries)


async def generic_plans_here(session: AsyncSession) -> bool:
    """A generic plan may serve the compiled statements on this session's connection (the
    report's: app/db/scope.py `GENERIC_PLANS`): not on a Citus coordinator, which refuses one for
    a read it must route by its parameters ("could not create distributed plan")."""
    return not await citus.on_citus(session)


async def execute(session: AsyncSession, schema, principal: Principal | None, query: str, variables: dict | None,
                  operation_name: str | None, stored: answers.Answers,
                  compilations: Compilations | None = None) -> bytes | None:
    """The response body (`{"data": ...}`), stored or computed by one statement; None when the executor must answer.

    The counter of the tenants the answer reads (`Principal.version_of`, read by the request's
    authentication) decides whether a stored answer is still true, and is what a new answer is
    stored under (app/api/compiled/answers.py).
    """
    if principal is None:
        return None
    routed = await citus.on_citus(session)
    entry_key = answers.key(principal, query, variables, operation_name)
    if compilations is None:  # read once (a mailed report, the CLI's): not worth keeping
        compiled = compile_request(schema, principal, query, variables, operation_name, routed)
    else:
        compiled = compilations.get(schema, principal, entry_key, query, variables, operation_name, routed)
    if compiled is None:
        return None
    version = principal.version_of(compiled.footprint)
    if version is not None:
        body = stored.get(entry_key, version)
        if body is not None:
            return body
    # Straight to the driver, its $n parameters as they are: through text() SQLAlchemy scanned the
    # statement for bind names and processed each parameter on every request (the executive
    # report's 48,000 characters and 340 parameters: over a millisecond); app/db/driver.py.
    row = await driver.fetch_record(session, compiled.statement, compiled.params)  # JSON text (sql.py)
    body = b'{"data":' + row[0].encode() + b"}"
    if version is not None and compiled.storable:
        stored.put(entry_key, version, body, row[1] if compiled.expiring else None)
    return body
