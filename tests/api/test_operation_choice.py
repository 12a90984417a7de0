"""Which operation of a document runs: the named one, or the only one; never a guess."""

from __future__ import annotations

import pytest

from app.tenants.models import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")

TWO = "query A { me { email } } mutation B { createTenant(input: {name: \"Planted\", employeeCount: 3}) { tenant { id } } }"


async def post(api, token, body: dict):
    return await api.http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})


async def test_two_operations_without_a_name_are_refused_and_nothing_runs(api, world):
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)

    response = await post(api, token, {"query": TWO})

    assert response.status_code == 400, response.text
    body = response.json()
    assert "operationName" in body["errors"][0]["message"]
    listed = await api.data("{ tenants { totalCount } }", token=token)
    assert listed["tenants"]["totalCount"] == 0, "the mutation must not have run"


async def test_the_named_operation_runs(api, world):
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)

    response = await post(api, token, {"query": TWO, "operationName": "A"})

    assert response.status_code == 200 and response.json()["data"] == {"me": {"email": admin.email}}
