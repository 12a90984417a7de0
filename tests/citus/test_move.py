"""Moving a tenant to another worker while people use it: `citus_move_shard_placement` of its shard
group (every co-located shard holding its rows) under a writer and a reader through the API.

The move copies the shards with writes to the group blocked (`block_writes`): a logical move, which
blocks them only for the switch-over, is refused on our tables by PostgreSQL 15 ("cannot replicate
into relation with row-level security enabled": the apply worker's role is subject to the forced
policies; infra/README.md). So nobody sees an error: a write meanwhile waits, then lands on the
new worker; reads go on. Every acknowledged write is there after, and the answers are the same.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from app.api import ids
from app.tenants.models import Role
from tests.citus.test_scope import shards_of, worker_ports

pytestmark = pytest.mark.asyncio(loop_scope="session")

CREATE_RISK = "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id } userErrors { code } } }"
RISKS = "query($id: ID!) { tenant(id: $id) { risks(first: 50) { totalCount edges { node { id title } } } } }"


async def test_a_tenant_moves_to_the_other_worker_under_reads_and_writes(api, world, owner_engine):
    practice = await world.practice()
    tenant, neighbour = await world.tenant(practice, "Moving"), await world.tenant(practice, "Staying")
    cio = await world.user(practice, Role.CIO, tenants=[tenant, neighbour])
    token = await api.login(cio.email)
    gid = ids.encode("Tenant", tenant.id)
    acknowledged, errors, seen = [], [], []
    moved = asyncio.Event()

    async def write(n: int) -> None:
        body = await api.post(CREATE_RISK, {"i": {"tenantId": gid, "title": f"Risk {n}", "category": "SECURITY",
                                                  "likelihood": 3, "impact": 3}}, token)
        payload = (body.get("data") or {}).get("createRisk") or {}
        if body.get("errors") or payload.get("userErrors"):
            errors.append(body)
        else:
            acknowledged.append(payload["risk"]["id"])

    async def writer() -> None:
        n = 20
        while not moved.is_set():
            await write(n)
            n += 1

    async def reader() -> None:
        while not moved.is_set():
            body = await api.post(RISKS, {"id": gid}, token)
            if body.get("errors"):
                errors.append(body)
            else:
                seen.append(body["data"]["tenant"]["risks"]["totalCount"])
            await asyncio.sleep(0)

    for n in range(20):  # rows to copy before the move
        await write(n)
    before = (await api.data(RISKS, {"id": gid}, token))["tenant"]["risks"]
    _, _, source = await shards_of(owner_engine, "risks", tenant.id)
    target = next(p for p in await worker_ports(owner_engine) if p != source)

    async def move() -> None:
        await asyncio.sleep(0.3)  # under way before the move starts
        async with owner_engine.connect() as conn:
            shard = await conn.scalar(text("select get_shard_id_for_distribution_column('risks', cast(:t as uuid))"),
                                      {"t": str(tenant.id)})
            await conn.execute(text("select citus_move_shard_placement(:shard, '127.0.0.1', :source, '127.0.0.1', "
                                    ":target, shard_transfer_mode => 'block_writes')"),
                               {"shard": shard, "source": source, "target": target})
            await conn.commit()
        await asyncio.sleep(0.3)  # and after it
        moved.set()

    await asyncio.gather(writer(), reader(), move())
    assert errors == []
    assert (await shards_of(owner_engine, "risks", tenant.id))[2] == target  # the whole group moved
    assert (await shards_of(owner_engine, "initiatives", tenant.id))[2] == target
    after = (await api.data(RISKS, {"id": gid}, token))["tenant"]["risks"]
    assert after["totalCount"] == len(acknowledged) > 20 and after["edges"][:len(before["edges"])] == before["edges"]
    async with owner_engine.connect() as conn:  # every acknowledged write, on the new worker
        stored = set(await conn.scalars(text("select id from risks where tenant_id = :t"), {"t": tenant.id}))
    assert stored == {ids.decode(i).id for i in acknowledged}
    assert seen == sorted(seen)  # no read went back in time
    untouched = (await api.data(CREATE_RISK, {"i": {"tenantId": ids.encode("Tenant", neighbour.id), "title": "After",
                                                    "category": "SECURITY", "likelihood": 1, "impact": 1}}, token))
    assert untouched["createRisk"]["userErrors"] == []
