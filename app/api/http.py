"""`POST /graphql`: our own thin endpoint around strawberry's executor.

Why not strawberry's view: we want one session and one transaction per request with the tenant
scope set before any resolver runs, after-commit hooks, only JSON POSTs (no GET queries, so no
mutation through GET or a form), no batching, a body limit, and errors coded and masked our way.
"""

from __future__ import annotations

import logging
import re
import uuid

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app.api import compiled
from app.api.compiled import document
from app.api.compiled import run as compiled_run
from app.api.context import Context, Db, Unauthenticated
from app.api.limits import MAX_INPUT_LIST, oversized_list, refusal
from app.auth import access, enrollment, ratelimit
from app.db.outage import database_unavailable
from app.db.queue import use_queue
from app.db.scope import transaction
from app.errors import DomainError, Forbidden
from app.http_body import MAX_BODY, read_limited
from graphql import GraphQLError

log = logging.getLogger("fcio.api")


def json_response(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers)


def problem(status: int, message: str, code: str, headers: dict | None = None) -> Response:
    return json_response({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers)


ENUM_ERROR = re.compile(r"does not exist in '(\w+)' enum")


def allowed_values(message: str, schema) -> str:
    """Unknown enum values are answered with the allowed ones (suggestions are off in production)."""
    match = ENUM_ERROR.search(message)
    enum_type = schema._schema.get_type(match[1]) if match else None
    if enum_type is None or not hasattr(enum_type, "values"):
        return message
    return f"{message.rstrip('.')}. Allowed values: {', '.join(enum_type.values)}."


def format_error(error: GraphQLError, request_id: str, schema) -> dict:
    original = error.original_error
    out: dict = {"message": allowed_values(error.message, schema)}
    if error.path:
        out["path"] = error.path
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if original is None:
        out["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
    elif isinstance(original, Unauthenticated):
        out["extensions"] = {"code": "UNAUTHENTICATED"}
    elif isinstance(original, Forbidden):
        out["extensions"] = {"code": "FORBIDDEN"}
    elif isinstance(original, DomainError):
        out["extensions"] = {"code": original.code, "field": original.field}
    else:
        log.error("unexpected error %s", request_id, exc_info=original)
        out["message"] = f"Internal error. Quote request id {request_id} when reporting it."
        out["extensions"] = {"code": "INTERNAL", "requestId": request_id}
    return out


async def api_key_wait(services, principal) -> int | None:
    """Scripts and PSAs share the database with people: each API key gets a per-minute budget."""
    if principal is None or principal.kind != "api_key":
        return None
    return await ratelimit.hit(services.redis, f"apikey:{principal.id}", services.settings.api_key_requests_per_minute, 60)


async def run_compiled(request: Request, session, principal, query, variables, operation_name) -> bytes | None:
    """The body of the one-statement path (app/api/compiled), when the document compiles and it is on."""
    if not request.app.state.compiled_reads:
        return None
    state = request.app.state
    return await compiled.execute(session, state.schema, principal, query, variables, operation_name,
                                  state.answers, state.compilations)


class Undone(Exception):
    """Leaves the request's transaction by rolling it back (`Db.undo`)."""


def compiled_query(request: Request, parsed, operation_name: str | None) -> bool:
    """A query the compiled path may answer (it is on, and the document is a valid query)."""
    return (request.app.state.compiled_reads and parsed is not None
            and document.query_operation(parsed, operation_name) is not None)


async def generic_plans(request: Request, session, parsed, operation_name: str | None) -> bool:
    """A query the compiled path may answer runs on generic plans (`scope.GENERIC_PLANS`, set by the
    authenticating statement): its one statement is then planned once per connection, not for each
    execution's values (3 of the 200-tenant portfolio's 20 ms), as the report's is. Not on a Citus
    coordinator (`run.generic_plans_here`)."""
    return compiled_query(request, parsed, operation_name) and await compiled_run.generic_plans_here(session)


def may_be_stored(request: Request, parsed, operation_name: str | None) -> bool:
    """A query the compiled path may answer from the answer cache: worth reading the tenants' counter."""
    return request.app.state.answers.enabled and compiled_query(request, parsed, operation_name)


async def graphql_endpoint(request: Request) -> Response:
    services = request.app.state.services
    schema = request.app.state.schema
    if request.method == "GET":
        if services.settings.is_production or "text/html" not in request.headers.get("accept", ""):
            return problem(405, "Send GraphQL operations as POST with Content-Type: application/json.", "METHOD_NOT_ALLOWED")
        return HTMLResponse(request.app.state.graphiql_html)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return problem(415, "Only Content-Type: application/json is accepted.", "UNSUPPORTED_MEDIA_TYPE")
    body = await read_limited(request)
    if body is None:
        return problem(413, f"The request body is over {MAX_BODY} bytes.", "PAYLOAD_TOO_LARGE")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return problem(400, "The body is not valid JSON (UTF-8).", "BAD_REQUEST")
    if not isinstance(payload, dict):
        return problem(400, "Send one operation per request: batching is off.", "BAD_REQUEST")
    query, variables = payload.get("query"), payload.get("variables")
    operation_name = payload.get("operationName")
    if not isinstance(query, str) or not isinstance(variables, dict | None) or not isinstance(operation_name, str | None):
        return problem(400, "Expected {query: string, variables?: object, operationName?: string}.", "BAD_REQUEST")

    refused = refusal(query)
    if refused:
        return problem(400, refused, "GRAPHQL_VALIDATION_FAILED")
    too_long = oversized_list(variables)
    if too_long:
        return problem(400, f"{too_long} has more than {MAX_INPUT_LIST} items; split the request.", "LIMIT")

    parsed = document.valid_document(schema._schema, schema.compiled_validation_rules, query)
    if parsed is not None and document.ambiguous(parsed, operation_name):
        return problem(400, "The document has several operations: name the one to run in operationName.",
                       "GRAPHQL_VALIDATION_FAILED")

    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    try:
        async with services.sessionmaker() as session:
            use_queue(session, services.redis)
            try:
                async with transaction(session):
                    # Also sets the transaction's tenant scope to exactly the caller's tenants.
                    principal = await access.resolve(
                        session, services.settings.secret_key, request.headers.get("authorization"),
                        versioned=may_be_stored(request, parsed, operation_name), rosters=request.app.state.rosters,
                        enrolling=True, generic_plans=await generic_plans(request, session, parsed, operation_name),
                    )
                    if principal is not None and principal.enroll_only and not enrollment.allows(parsed, operation_name):
                        return problem(403, enrollment.REFUSAL, "MFA_ENROLLMENT_REQUIRED")
                    wait = await api_key_wait(services, principal)
                    if wait:
                        return problem(429, f"Too many requests for this API key. Retry in {wait} s.", "RATE_LIMITED",
                                       {"Retry-After": str(wait)})
                    db = Db(session, only_write=document.one_mutation_field(parsed, operation_name))
                    context = Context(services, db, principal, request.client.host if request.client else "")
                    answer = await run_compiled(request, session, principal, query, variables, operation_name)
                    if answer is None and parsed is not None:  # validated above: not again
                        result = await schema.execute_validated(parsed, variables, context, operation_name)
                    elif answer is None:  # strawberry answers what does not validate, as it words it
                        result = await schema.execute_refused(query, variables, context, operation_name)
                    if answer is None:
                        await db.close()  # siblings of an error may still be reading
                        if db.undo:
                            raise Undone
            except Undone:
                pass  # rolled back: the request's one action failed, and nothing of it stays
    except (SQLAlchemyError, OSError) as error:
        if not database_unavailable(error):
            raise
        log.warning("database unavailable: %s", error)
        return problem(503, "The database is unavailable. Retry shortly.", "UNAVAILABLE", {"Retry-After": "2"})

    if answer is not None:
        return Response(answer, media_type="application/json", headers={"x-request-id": request_id})
    response: dict = {"data": result.data}
    if result.errors:
        response["errors"] = [format_error(e, request_id, schema) for e in result.errors]
    status = 400 if result.data is None and result.errors and all(e.original_error is None for e in result.errors) else 200
    headers = {"x-request-id": request_id}
    if context.retry_after:
        # Same body (the LIMIT user error), but an HTTP status that clients and proxies understand.
        status, headers["Retry-After"] = 429, str(context.retry_after)
    return json_response(response, status, headers)
