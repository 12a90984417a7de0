"""One document sent to two apps over the same database: compiled reads on, and the executor only.

The comparison tests (test_compiled_reads.py, test_compiled_generated.py, test_compiled_portfolio.py) need the same three
things: both bodies, both statuses, and whether the compiled app really ran its one statement
(a statement that writes the answer's JSON text) rather than falling back to the executor, without which a
comparison would be the executor's answer against itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from app.api import ids
from app.api.compiled.compiler import ROUTED_ROOTS
from app.settings import Settings
from app.web import create_app
from graphql import FieldNode, OperationDefinitionNode, VariableNode, parse
from tests.statements import on_cluster, recording

REQUEST_ID = "compiled-pair"  # the same on both requests, so error bodies that quote it compare equal


def app_with(services, **settings):
    return create_app(Settings(database_url=services.settings.database_url, redis_url=services.settings.redis_url,
                               env="test", **settings), services)


def compiled_here(query: str, operation_name: str | None = None, variables: dict | None = None, sees=None) -> bool:
    """Whether this run's engine has the compiler build a document it builds: every one on one node;
    on a Citus coordinator those whose every root field is one tenant's (`ROUTED_ROOTS`) and that
    read no more than one tenant the viewer sees (`sees`, the principal's; without it every tenant
    named counts), the executor answering the rest (app/api/compiled/compiler.py `Compiler.routed`)."""
    if not on_cluster():
        return True
    operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(o for o in operations if operation_name is None or (o.name and o.name.value == operation_name))
    below = list(operation.selection_set.selections)
    one_tenants = all(isinstance(f, FieldNode) and f.name.value in ROUTED_ROOTS for f in below)
    return one_tenants and len(tenants_read(below, variables or {}, sees)) <= 1


def tenants_read(roots: list, variables: dict, sees) -> set:
    """The tenants the `tenant(id:)` root fields read: the ids that name a tenant the viewer sees."""
    read = set()
    for root in roots:
        given = next((a.value for a in root.arguments if a.name.value == "id"), None)
        value = variables.get(given.name.value) if isinstance(given, VariableNode) else getattr(given, "value", None)
        key = ids.decode_as(value, "Tenant") if isinstance(value, str) else None
        if key is not None and (sees is None or sees(key.id)):
            read.add(key.id)
    return read


def is_compiled(statement: str) -> bool:
    """A compiled read's statement: it writes the answer's JSON text (app/api/compiled/sql.py)."""
    return "'{\"" in statement


@dataclass(frozen=True)
class Answers:
    compiled_status: int
    compiled_body: bytes
    executed_status: int
    executed_body: bytes
    statements: list[str] = field(repr=False)  # those the compiled app sent

    @property
    def compiled(self) -> bool:
        """The compiled app answered with its statement, not with the executor."""
        return any(map(is_compiled, self.statements))

    @property
    def equal(self) -> bool:
        return (self.compiled_status, self.compiled_body) == (self.executed_status, self.executed_body)

    def difference(self) -> str:
        if self.compiled_status != self.executed_status:
            return f"status: compiled {self.compiled_status}, executor {self.executed_status}"
        return first_difference(self.compiled_body, self.executed_body)

    def report(self) -> str:
        return "\n".join(f"{i + 1:3}. {s[:300]}" for i, s in enumerate(self.statements))

    def json(self) -> dict:
        return httpx.Response(200, content=self.compiled_body).json()


class Pair:
    """The compiled app (without stored answers: every request runs its statement) and the executor's."""

    def __init__(self, services):
        self.engine = services.engine
        self.compiled_app = app_with(services, answer_cache_mb=0)
        self.executor_app = app_with(services, compiled_reads=False)

    async def post(self, app, query: str, variables: dict, token: str,
                   operation_name: str | None = None) -> httpx.Response:
        payload = {"query": query, "variables": variables, "operationName": operation_name}
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post("/graphql", json=payload,
                                   headers={"Authorization": f"Bearer {token}", "X-Request-Id": REQUEST_ID})

    async def ask(self, query: str, variables: dict, token: str, operation_name: str | None = None) -> Answers:
        with recording(self.engine) as log:
            compiled = await self.post(self.compiled_app, query, variables, token, operation_name)
        executed = await self.post(self.executor_app, query, variables, token, operation_name)
        return Answers(compiled.status_code, compiled.content, executed.status_code, executed.content, log.statements)


def first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"compiled: ...{a[max(0, at - 150):at + 150]!r}\nexecutor: ...{b[max(0, at - 150):at + 150]!r}"
