"""Answer a request with its compiled statement, or say None so the executor answers it."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.compiled import document, fields  # noqa: F401  (fields registers the compilers)
from app.api.compiled.compiler import Compiler, Unsupported
from app.auth.principal import Principal


def compile_request(schema, principal: Principal, query: str, variables: dict | None,
                    operation_name: str | None) -> tuple[str, dict[str, Any]] | None:
    """(SQL, parameters) for the request, or None when the executor must answer it."""
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
    return f"SELECT CAST({body} AS text)", compiler.params


async def execute(session: AsyncSession, schema, principal: Principal | None, query: str, variables: dict | None,
                  operation_name: str | None) -> dict | None:
    """The response's `data`, computed by one statement; None when the executor must answer."""
    if principal is None:
        return None
    compiled = compile_request(schema, principal, query, variables, operation_name)
    if compiled is None:
        return None
    statement, params = compiled
    return orjson.loads((await session.execute(text(statement), params)).scalar_one())
