"""Document limits: 5,000 tokens, but at most 500 names outside arguments and 30 aliases.

The token limit leaves room for large input literals; selections, which are what parsing and
validation pay for, are capped separately and refused before any parsing.
"""

from __future__ import annotations

import pytest

from app.api import ids
from app.api.limits import MAX_TOKENS, TOKEN
from app.tenants.models import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")


def tokens(query: str) -> int:
    return sum(1 for t in TOKEN.finditer(query) if not t.group().startswith("#"))


def inline_ingest(tenant_gid: str, count: int) -> str:
    tickets = ", ".join(f'{{externalId: "t{i}", category: SUPPORT, openedAt: "2026-10-0{1 + i % 9}T08:00:00Z"}}'
                        for i in range(count))
    return (f'mutation {{ ingestTickets(input: {{tenantId: "{tenant_gid}", source: "inline", tickets: [{tickets}]}})'
            " { accepted userErrors { code message } } }")


async def post(api, token, query):
    return await api.http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})


async def test_a_large_input_literal_under_5000_tokens_is_accepted_and_one_token_more_is_not(api, world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)
    query = inline_ingest(ids.encode("Tenant", tenant.id), 380)
    assert 4000 < tokens(query) <= MAX_TOKENS

    response = await post(api, token, query)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["ingestTickets"] == {"accepted": 380, "userErrors": []}
    padded = query
    while tokens(padded) <= MAX_TOKENS:  # one more ticket at a time, until just past the limit
        padded = padded.replace("tickets: [", 'tickets: [{externalId: "x", category: SUPPORT}, ', 1)
    refused = await post(api, token, padded)
    assert refused.status_code == 400 and f"{MAX_TOKENS} tokens" in refused.json()["errors"][0]["message"]


@pytest.mark.parametrize(("query", "reason"), [
    ("{ me { " + "id " * 501 + "} }", "500 names"),
    ("{ tenants { edges { node { " + "id name slug industry " * 130 + "} } } }", "500 names"),
    ("{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }", "30 aliases"),
])
async def test_too_many_selections_or_aliases_are_refused_before_parsing(api, world, count_statements, query, reason):
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)

    with count_statements() as log:
        response = await post(api, token, query)

    assert response.status_code == 400 and reason in response.json()["errors"][0]["message"]
    assert len(log) == 0, "refused before authentication, parsing or any SQL"


async def test_a_graphql_body_over_one_mebibyte_is_refused_with_413(api):
    """The GraphQL endpoint reads with the same limited reader as the webhooks (app/http_body.py)."""
    body = b'{"query": "{ me { id } }"' + b" " * (1024 * 1024) + b"}"
    response = await api.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_refused_document_is_answered_the_same_every_time_it_is_sent(api, world):
    """The refusal of a document that does not validate is remembered by its text (app/api/schema.py
    `execute_refused`): the second and third answers are the first's, and what a document says still
    decides, sent in any order."""
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)
    unknown = "{ me { emial } }"
    misused = '{ tenants(first: "many") { totalCount } }'
    answers = []
    for query in (unknown, misused, unknown, misused, unknown):
        response = await post(api, token, query)
        assert response.status_code == 400, response.text
        answers.append([{k: v for k, v in e.items() if k != "extensions"} | {"code": e["extensions"]["code"]}
                        for e in response.json()["errors"]])
    assert answers[0] == answers[2] == answers[4] and answers[1] == answers[3] and answers[0] != answers[1]
    assert "emial" in answers[0][0]["message"] and answers[0][0]["locations"] == [{"line": 1, "column": 8}]
    assert (await api.data("{ me { email } }", token=token))["me"]["email"] == admin.email
