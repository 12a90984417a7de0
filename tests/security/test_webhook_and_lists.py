"""Crossing tenants through the side doors: the PSA webhook, list cursors, search and filters."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from app.api import ids
from tests.integrations.payloads import halopsa, halopsa_asset
from tests.security.database import changed, digest


def webhook_url(global_id: str) -> str:
    return f"/integrations/{ids.decode(global_id).id}/webhook"


async def tickets_of(owner_engine, tenant) -> int:
    async with owner_engine.connect() as conn:
        return (await conn.execute(text("select count(*) from tickets where tenant_id = :t"), {"t": tenant.id})).scalar_one()


async def test_a_webhook_signed_for_one_tenant_is_refused_by_every_other_and_stores_no_ticket(gql, cast, owner_engine):
    a1, b1 = cast.a1, cast.b1
    body, headers = halopsa(a1.halo_secret, ticket_id=9001)

    foreign = await gql.http.post(webhook_url(b1.ids["Integration"]), content=body, headers=headers)
    sibling = await gql.http.post(webhook_url(cast.a2.ids["Integration"]), content=body, headers=headers)
    unknown = await gql.http.post(f"/integrations/{uuid.uuid4()}/webhook", content=body, headers=headers)
    a_tenant_id = await gql.http.post(f"/integrations/{a1.tenant.id}/webhook", content=body, headers=headers)
    garbage = await gql.http.post("/integrations/..%2F..%2Fgraphql/webhook", content=body, headers=headers)

    assert (foreign.status_code, sibling.status_code) == (401, 401)
    assert [r.status_code for r in (unknown, a_tenant_id, garbage)] == [404, 404, 404]
    assert unknown.json() == a_tenant_id.json()
    assert await tickets_of(owner_engine, b1.tenant) == 0 and await tickets_of(owner_engine, cast.a2.tenant) == 0
    genuine = await gql.http.post(webhook_url(a1.ids["Integration"]), content=body, headers=headers)
    assert genuine.status_code == 202


async def test_a_cursor_search_or_filter_reveals_nothing_of_another_tenant(gql, cast, owner_engine):
    admin_a = next(c for c in cast.callers if c.name == "admin_a")
    admin_b = next(c for c in cast.callers if c.name == "admin_b")
    risks = "query($t: ID!, $after: String) { tenant(id: $t) { risks(first: 1, after: $after) { nodes { title } pageInfo { endCursor } } } }"
    page = await gql.data(risks, {"t": cast.a1.gid}, admin_a.token)
    cursor = page["tenant"]["risks"]["pageInfo"]["endCursor"]
    assert cursor
    tenants = "query($after: String, $s: String) { tenants(first: 5, after: $after, search: $s) { totalCount nodes { name } pageInfo { endCursor } } }"
    own_tenants = await gql.data(tenants, {}, admin_a.token)
    before = await digest(owner_engine)

    other_list = await gql.post(risks, {"t": cast.a2.gid, "after": cursor}, admin_a.token)
    other_practice = await gql.post(risks, {"t": cast.b1.gid, "after": cursor}, admin_b.token)
    their_cursor = await gql.post(tenants, {"after": own_tenants["tenants"]["pageInfo"]["endCursor"]}, admin_b.token)
    searched = await gql.data(tenants, {"s": cast.a1.tenant.name}, admin_b.token)
    by_marker = await gql.data(tenants, {"s": cast.a1.marker}, admin_b.token)

    for status, body in (other_list, other_practice, their_cursor):
        text_ = str(body)
        assert status == 200 and cast.a1.marker not in text_ and cast.a2.marker not in text_, body
    assert other_list[1]["data"]["tenant"]["risks"]["nodes"] == []
    assert other_practice[1]["data"]["tenant"]["risks"]["nodes"] == []
    assert their_cursor[1]["data"]["tenants"]["nodes"] == []
    assert searched["tenants"]["totalCount"] == 0 and by_marker["tenants"]["totalCount"] == 0
    assert changed(before, await digest(owner_engine)) == []


async def assets_of(owner_engine, tenant) -> int:
    async with owner_engine.connect() as conn:
        return (await conn.execute(text("select count(*) from assets where tenant_id = :t"), {"t": tenant.id})).scalar_one()


async def test_an_asset_webhook_signed_for_one_tenant_is_refused_by_every_other(gql, cast, owner_engine):
    a1, b1 = cast.a1, cast.b1
    body, headers = halopsa_asset(a1.halo_secret, asset_id=9101)
    before = {h.tenant.id: await assets_of(owner_engine, h.tenant) for h in (b1, cast.a2)}

    foreign = await gql.http.post(webhook_url(b1.ids["Integration"]), content=body, headers=headers)
    sibling = await gql.http.post(webhook_url(cast.a2.ids["Integration"]), content=body, headers=headers)

    assert (foreign.status_code, sibling.status_code) == (401, 401)
    assert {h.tenant.id: await assets_of(owner_engine, h.tenant) for h in (b1, cast.a2)} == before


async def test_an_asset_cursor_is_void_on_another_tenants_list(gql, cast):
    admin_a = next(c for c in cast.callers if c.name == "admin_a")
    assets = "query($t: ID!, $after: String) { tenant(id: $t) { assets(first: 5, after: $after) { totalCount nodes { name } pageInfo { endCursor } } } }"
    own = await gql.data("query($t: ID!) { tenant(id: $t) { assets(first: 1) { pageInfo { endCursor } } } }", {"t": cast.a1.gid}, admin_a.token)
    cursor = own["tenant"]["assets"]["pageInfo"]["endCursor"]
    other = await gql.data(assets, {"t": cast.a2.gid, "after": cursor}, admin_a.token)
    fresh = await gql.data(assets, {"t": cast.a2.gid}, admin_a.token)
    assert cursor and other["tenant"]["assets"]["nodes"] == [] and cast.a1.marker not in str(other)
    assert len(fresh["tenant"]["assets"]["nodes"]) == 1  # the list has an asset; the foreign cursor shows none
