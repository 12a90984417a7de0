"""The soak: the mixed workload (app/bench/mixed.py) at concurrency 32 against a real API process and a real worker.

In the suite it runs FCIO_SOAK_SECONDS (default 25); `make soak` runs it for 5 minutes. It must
finish with 0 errors, a p99 in the second half no worse than twice the first half's, the memory
of every process flat after warm-up (growth under 10%), every webhook delivery processed by the
worker, and no connection left busy.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from app.bench.mixed import CONCURRENCY, Actors, run_soak
from app.db import migrate
from app.integrations.processing import MAX_DELAY
from app.months import last_full_month
from tests.conftest import asyncpg_dsn
from tests.soak.server import ROOT, live_server

SECONDS = float(os.environ.get("FCIO_SOAK_SECONDS", "25"))
WARM_UP = 0.3  # the first 30% of the run
TENANTS = 20
# Integrations the webhooks take turns on: at ~90 requests/s a tenth are deliveries, ~540 a minute,
# and in some minutes more than the 600 one integration is allowed (38 answers 429 in the first
# 5-minute run on the bench's client).
WEBHOOK_TENANTS = 3


@pytest.fixture(scope="module")
def soak_stack(fresh_database, redis_url, tmp_path_factory):
    url = fresh_database("fcio_soak")
    migrate.upgrade(url)
    redis = redis_url.rsplit("/", 1)[0] + "/7"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis, "FCIO_ENV": "test", "FCIO_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "app.cli", "seed", "--tenants", str(TENANTS), "--months", "6",
                    "--practice", "Live practice"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    folder = tmp_path_factory.mktemp("soak")
    with (folder / "worker.log").open("wb") as worker_log:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env, cwd=ROOT, stdout=worker_log, stderr=worker_log)
        try:
            with live_server(url, redis, folder / "serve.log") as server:
                yield server, worker, url
        finally:
            worker.terminate()
            worker.wait(20)


async def setup_actors(http: httpx.AsyncClient, admin_token: str) -> Actors:
    async def gql(query: str, variables: dict | None = None, token: str = admin_token) -> dict:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                                   headers={"Authorization": f"Bearer {token}"})
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    tenants = [n["id"] for n in (await gql("{ tenants(first: 200) { nodes { id } } }"))["tenants"]["nodes"]]
    one = tenants[0]
    password = "soak password 123"
    for role, email, grants in (("CIO", "cio@soak.example.com", tenants), ("CLIENT_EXECUTIVE", "exec@soak.example.com", [one])):
        await gql("mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { code } } }",
                  {"i": {"email": email, "name": role, "password": password, "role": role, "tenantIds": grants}})
    login = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }"
    cio = (await gql(login, {"i": {"email": "cio@soak.example.com", "password": password}}))["login"]["accessToken"]
    executive = (await gql(login, {"i": {"email": "exec@soak.example.com", "password": password}}))["login"]["accessToken"]
    keys = [(await gql("mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
                       {"i": {"name": f"soak PSA {n}", "tenantIds": [one]}}))["createApiKey"]["key"] for n in range(4)]
    webhooks = []
    for tenant in tenants[:WEBHOOK_TENANTS]:
        integration = (await gql("mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) { integration { webhookUrl } secret } }",
                                 {"i": {"tenantId": tenant, "vendor": "HALOPSA"}}))["createIntegration"]
        path = "/integrations/" + integration["integration"]["webhookUrl"].split("/integrations/", 1)[1]
        webhooks.append((path, integration["secret"]))
    # Pushes into the last full month, which is already past: each marks it stale for the worker.
    month = last_full_month()
    return Actors(cio, executive, keys, tenants, one, webhooks, month, month)


async def processed_deliveries(owner: asyncpg.Connection) -> dict[str, int]:
    """The deliveries by status once none is waiting (the worker takes a paused burst within a
    second or two and never leaves one waiting more than MAX_DELAY), or after MAX_DELAY + 20 s."""
    deadline = asyncio.get_running_loop().time() + MAX_DELAY.total_seconds() + 20
    while True:
        outcomes = dict(await owner.fetch("select status::text, count(*) from webhook_deliveries group by status"))
        if "RECEIVED" not in outcomes or asyncio.get_running_loop().time() > deadline:
            return outcomes
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_a_mixed_soak_has_no_errors_stable_latency_flat_memory_and_no_leaked_connections(soak_stack):
    server, worker, url = soak_stack
    dsn = asyncpg_dsn(url)
    database = urlsplit(dsn).path.lstrip("/")
    owner = await asyncpg.connect(dsn)

    async def connections() -> int:
        return await owner.fetchval("select count(*) from pg_stat_activity where datname = $1 and application_name = 'fcio'", database)

    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        actors = await setup_actors(http, server.login())
    results = await run_soak(server.base_url, actors, SECONDS, [server.process.pid, worker.pid], connections)
    outcomes = await processed_deliveries(owner)
    await asyncio.sleep(2)  # let the last transactions finish
    busy = await owner.fetch(
        "select state, left(query, 80) as query from pg_stat_activity where datname = $1 and application_name = 'fcio' "
        "and state <> 'idle'", database)
    await owner.close()

    warm = SECONDS * WARM_UP
    middle = warm + (SECONDS - warm) / 2
    first, second, overall = results.percentiles(warm, middle), results.percentiles(middle), results.percentiles()
    growth = {pid: results.growth(pid, warm) for pid in results.memory}
    rps = overall["n"] / SECONDS
    print(f"\nsoak {SECONDS:.0f} s at concurrency {CONCURRENCY}: {overall['n']} requests ({rps:.0f}/s), "
          f"{len(results.errors)} errors; p50/p95/p99 {overall['p50']:.0f}/{overall['p95']:.0f}/{overall['p99']:.0f} ms; "
          f"p99 first half {first['p99']:.0f} ms, second half {second['p99']:.0f} ms; "
          f"memory growth after warm-up {', '.join(f'{g:+.1%}' for g in growth.values())} (api, worker); "
          f"peak connections {max(c for _, c in results.connections)}, busy after {len(busy)}")

    assert results.errors == [], results.errors[:10]
    webhooks = sum(1 for _, kind, _ in results.latencies if kind == "webhook")
    assert outcomes == {"PROCESSED": webhooks}, "the worker processed every delivery the soak sent"
    assert second["p99"] <= 2 * first["p99"] + 20
    assert all(g < 0.10 for g in growth.values()), growth
    assert busy == [], busy
