"""schemathesis in GraphQL mode against a real `fcio serve` (test build: introspection on).

Every query and mutation field gets generated operations, valid and not, as a practice admin
over a database of its own: 0 server errors, and every answer conforms to the GraphQL response
shape and the schema. Our own check replaces schemathesis' `not_a_server_error`, which counts
every error raised during execution (e.g. a coded INVALID for `first: 201`) as a server error.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import migrate
from tests.soak.server import live_server

EXAMPLES_PER_FIELD = 25

# Our scalars: valid values mostly, and any string now and then (the server must refuse it cleanly).
nodes = schemathesis.graphql.nodes
schemathesis.graphql.scalar("Month", st.one_of(
    st.dates().map(lambda d: d.strftime("%Y-%m")), st.text(max_size=8)).map(nodes.String))
schemathesis.graphql.scalar("Date", st.one_of(st.dates().map(str), st.text(max_size=10)).map(nodes.String))
schemathesis.graphql.scalar("DateTime", st.one_of(
    st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat()), st.text(max_size=10)).map(nodes.String))
schemathesis.graphql.scalar("Decimal", st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str), st.text(max_size=10)).map(nodes.String))
schemathesis.graphql.scalar("JSON", st.text(max_size=20).map(nodes.String))


@pytest.fixture(scope="module")
def server(fresh_database, redis_url, tmp_path_factory):
    url = fresh_database("fcio_schemathesis")
    migrate.upgrade(url)
    with live_server(url, redis_url.rsplit("/", 1)[0] + "/8", tmp_path_factory.mktemp("st") / "serve.log") as live:
        token = live.login()
        create = "mutation { createTenant(input: {name: \"Schemathesis Client\", employeeCount: 25}) { tenant { id } } }"
        httpx.post(f"{live.base_url}/graphql", json={"query": create}, headers={"Authorization": f"Bearer {token}"})
        live.token = token
        yield live


def check(response) -> str | None:
    """What is wrong with one answer, if anything. A 429 with Retry-After is the designed answer to
    an account locked by failed sign-ins (generated logins repeat an email, e.g. the empty one)."""
    if response.status_code == 429 and response.headers.get("retry-after"):
        return None
    if response.status_code not in (200, 400):
        return f"status {response.status_code}: {response.text[:300]}"
    body = response.json()
    if not (set(body) <= {"data", "errors", "extensions"} and ("data" in body or "errors" in body)):
        return f"not a GraphQL response: {str(body)[:300]}"
    for error in body.get("errors") or []:
        if not error.get("message") or error.get("extensions", {}).get("code") in (None, "INTERNAL"):
            return f"uncoded or internal error: {error}"
        if "Cannot return null for non-nullable" in error["message"] or "Expected a value of type" in error["message"]:
            return f"an answer that breaks the schema: {error}"
    return None


def exercise(operation, headers: dict, problems: list, statuses: dict) -> None:
    """Run EXAMPLES_PER_FIELD generated operations of one field against the server."""

    @settings(max_examples=EXAMPLES_PER_FIELD, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        found = check(response)
        if found:
            problems.append(f"{operation.label}: {found}\n{case.body}"[:800])

    run()


@pytest.mark.slow
def test_generated_operations_never_get_a_server_error_or_a_malformed_answer(server):
    schema = schemathesis.graphql.from_url(f"{server.base_url}/graphql", headers={"Authorization": f"Bearer {server.token}"})
    headers = {"Authorization": f"Bearer {server.token}"}
    problems, statuses, fields = [], {}, 0
    for result in schema.get_all_operations():
        fields += 1
        exercise(result.ok(), headers, problems, statuses)
    print(f"\nschemathesis: {fields} fields, {sum(statuses.values())} operations, statuses {statuses}, {len(problems)} problems")
    assert fields >= 50
    assert problems == [], "\n".join(problems[:10])
