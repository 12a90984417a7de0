"""A field error that nulls the whole answer while sibling resolvers are still reading.

graphql-core returns as soon as an error reaches the root, without waiting for the siblings it
started; the request must still commit cleanly (no statement running on the connection at the
commit, none started after it) and answer the error, not a 503.
"""

from __future__ import annotations

import pytest

from app.api import ids
from app.tenants.models import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def answered_invalid(api, user, query: str) -> dict:
    """The answer to `query`: a 200 whose only errors are the invalid argument's."""
    response = await api.http.post("/graphql", json={"query": query},
                                   headers={"Authorization": f"Bearer {api.token(user)}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {e["extensions"]["code"] for e in body["errors"]} == {"INVALID"}, response.text
    return body


async def test_an_error_beside_running_siblings_is_answered_every_time(api, world):
    practice = await world.practice()
    tenants = [await world.tenant(practice) for _ in range(4)]
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    query = (
        "{ tenants { nodes { a: budget(fiscalYear: 2025) { actual } risks(first: -1) { edges { cursor } } "
        "employeeCount } totalCount } "
        f'tenant(id: "{ids.encode("Tenant", tenants[0].id)}") {{ budget(fiscalYear: 2025) {{ actual }} }} }}'
    )
    for _ in range(20):
        await answered_invalid(api, admin, query)
    # The connection is still good: the next request reads normally.
    assert (await api.data(admin, "{ tenants { totalCount } }"))["tenants"]["totalCount"] == 4


async def test_a_cancelled_sibling_does_not_cancel_the_same_list_asked_elsewhere(api, world):
    """An error nulls one tenant (`a`) while its sibling list is loading; `b` asks the same page of
    the same tenant, which the request's loader shares with `a`'s. `b` must still get its page."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    tenant_id = ids.encode("Tenant", tenant.id)
    query = (
        f'{{ a: tenant(id: "{tenant_id}") {{ bad: decisions(first: -1) {{ totalCount }} '
        "ok: decisions(first: 5) { totalCount } } "
        f'b: tenant(id: "{tenant_id}") {{ decisions(first: 5) {{ totalCount }} }} }}'
    )
    for _ in range(10):
        body = await answered_invalid(api, admin, query)
        assert body["data"] == {"a": None, "b": {"decisions": {"totalCount": 0}}}, body
