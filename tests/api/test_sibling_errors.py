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
        response = await api.http.post("/graphql", json={"query": query},
                                       headers={"Authorization": f"Bearer {api.token(admin)}"})
        assert response.status_code == 200, response.text
        codes = {e["extensions"]["code"] for e in response.json()["errors"]}
        assert codes == {"INVALID"}, response.text
    # The connection is still good: the next request reads normally.
    assert (await api.data(admin, "{ tenants { totalCount } }"))["tenants"]["totalCount"] == 4
