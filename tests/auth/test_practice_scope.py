"""An admin sees its whole practice: its transactions name the practice, its tenant set follows
the practice's tenants at once (the roster counter), and so do its stored answers."""

from __future__ import annotations

from sqlalchemy import text

from app.api import ids
from app.auth import access, tokens
from app.auth.roster import Rosters
from app.db import written
from app.settings import get_settings
from app.tenants.models import Role

TENANTS = "{ tenants(first: 100) { edges { node { id name } } } }"


def names(body) -> set[str]:
    return {e["node"]["name"] for e in body["tenants"]["edges"]}


async def test_an_admins_transaction_names_the_practice_and_lists_nothing(world, sessionmaker):
    practice = await world.practice()
    a, b = await world.tenant(practice), await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    cio = await world.user(practice, Role.CIO, [a])
    secret = get_settings().secret_key
    for user, listed, named in ((admin, "", str(practice.id)), (cio, "{" + str(a.id) + "}", "")):
        async with sessionmaker() as s, s.begin():
            principal = await access.resolve(s, secret, f"Bearer {tokens.issue(secret, user.id, 60)}")
            settings = (await s.execute(text("select current_setting('app.tenant_ids', true), "
                                             "current_setting('app.practice_id', true)"))).one()
        assert tuple(settings) == (listed, named)
        assert principal.tenant_ids == ({a.id, b.id} if user is admin else {a.id})
        assert principal.whole_practice == (user is admin)


async def test_the_practice_set_kept_between_requests_follows_every_change_of_its_tenants(world, sessionmaker):
    practice = await world.practice()
    first = await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    secret, rosters = get_settings().secret_key, Rosters()
    bearer = f"Bearer {tokens.issue(secret, admin.id, 60)}"

    async def seen():
        async with sessionmaker() as s, s.begin():
            return (await access.resolve(s, secret, bearer, rosters=rosters)).tenant_ids

    assert await seen() == {first.id}
    assert await seen() == {first.id}  # from `rosters` this time
    second = await world.tenant(practice)
    assert await seen() == {first.id, second.id}
    async with world.scope(()) as s:
        await s.execute(text("update tenants set status = 'OFFBOARDED' where id = :t"), {"t": first.id},
                        execution_options=written.declare([first.id], [first.practice_id]))
    assert await seen() == {second.id}
    other = await world.tenant(await world.practice())
    assert other.id not in await seen()


async def test_an_admins_tenant_list_and_its_stored_answer_follow_a_new_tenant(api, world):
    practice = await world.practice()
    await world.tenant(practice, name="Alpha Ltd")
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    assert names(await api.data(admin, TENANTS)) == {"Alpha Ltd"}
    assert names(await api.data(admin, TENANTS)) == {"Alpha Ltd"}  # stored
    beta = await world.tenant(practice, name="Beta Ltd")
    assert names(await api.data(admin, TENANTS)) == {"Alpha Ltd", "Beta Ltd"}
    dashboard = "query($id: ID!) { tenant(id: $id) { name } }"
    assert (await api.data(admin, dashboard, {"id": ids.encode("Tenant", beta.id)}))["tenant"]["name"] == "Beta Ltd"


async def test_an_api_key_without_tenants_sees_the_practice_as_its_admin_does(api, world):
    practice = await world.practice()
    await world.tenant(practice, name="Alpha Ltd")
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    create = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { message } } }"
    key = (await api.mutate(admin, create, {"name": "whole practice"}))["key"]
    assert names(await api.data(TENANTS, None, key)) == {"Alpha Ltd"}
    await world.tenant(practice, name="Beta Ltd")
    assert names(await api.data(TENANTS, None, key)) == {"Alpha Ltd", "Beta Ltd"}
    hidden = await world.tenant(await world.practice(), name="Gamma Ltd")
    assert (await api.data("query($id: ID!) { tenant(id: $id) { name } }",
                           {"id": ids.encode("Tenant", hidden.id)}, key))["tenant"] is None
