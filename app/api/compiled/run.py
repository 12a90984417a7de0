"""Answer a request with its compiled statement (or a stored answer), or say None so the executor answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.api.compiled import answers, document, fields  # noqa: F401  (fields registers the compilers)
from app.api.compiled.compiler import Compiler, Unsupported
from app.auth.principal import Principal


@dataclass(frozen=True)
class Compiled:
    statement: str
    params: tuple[Any, ...]  # $1, $2, ... of the statement, in order
    volatile: bool  # the answer depends on the clock: never stored


def compile_request(schema, principal: Principal, query: str, variables: dict | None,
                    operation_name: str | None) -> Compiled | None:
    """The request's statement, or None when the executor must answer it."""
    graphql_schema = schema._schema
    parsed = document.valid_document(graphql_schema, schema.compiled_validation_rules, query)
    operation = document.query_operation(parsed, operation_name) if parsed else None
    values = document.coerced_variables(graphql_schema, operation, variables) if operation else None
    if values is None:
        return None
    compiler = Compiler(graphql_schema, values, principal)
    try:
        body = compiler.object("Query", "", operation)
    except Unsupported:
        return None
    statement, params = used_parameters(f"SELECT {body}", compiler.params)
    return Compiled(statement, params, compiler.volatile)


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


async def execute(session: AsyncSession, schema, principal: Principal | None, query: str, variables: dict | None,
                  operation_name: str | None, stored: answers.Answers) -> bytes | None:
    """The response body (`{"data": ...}`), stored or computed by one statement; None when the executor must answer.

    The principal's `data_version` (when it was resolved with one) decides whether a stored
    answer is still true, and is what a new answer is stored under (app/api/compiled/answers.py).
    """
    if principal is None:
        return None
    version = principal.data_version
    entry_key = answers.key(principal, query, variables, operation_name) if version is not None else None
    if entry_key is not None:
        body = stored.get(entry_key, version)
        if body is not None:
            return body
    compiled = compile_request(schema, principal, query, variables, operation_name)
    if compiled is None:
        return None
    # Straight to the driver, its $n parameters as they are: through text() SQLAlchemy scanned the
    # statement for bind names and processed each parameter on every request (the executive
    # report's 48,000 characters and 340 parameters: over a millisecond).
    connection = await session.connection()
    data = (await connection.exec_driver_sql(compiled.statement, compiled.params)).scalar_one()  # JSON text (sql.py)
    body = b'{"data":' + data.encode() + b"}"
    if entry_key is not None and not compiled.volatile:
        stored.put(entry_key, version, body)
    return body
