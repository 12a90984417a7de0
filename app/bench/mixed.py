"""The mixed workload: a practice's web clients, its clients' executives and their PSAs, all at once.

`run_soak` keeps CONCURRENCY clients busy for a duration, each on its own keep-alive connection
(`app/bench/load.py`), and samples every second the RSS of the given processes and the server's
connections. The soak (tests/soak: 25 s in the suite, `make soak` 5 minutes) checks that it stays
stable; the bench runs it for 60 s with everything on and with compiled reads and stored answers
off, and compares the two.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson
import psutil

from app.bench.load import Connection
from app.bench.workloads import dashboard_variables, operation, ticket_push, webhook_request

CONCURRENCY = 32
RISK_TITLE = "Soak risk"  # every risk the workload creates is titled "Soak risk <n>"
CREATE_RISK = "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id } userErrors { code } } }"
TICKETS_A_PUSH = 20


@dataclass
class Actors:
    cio: str  # bearer tokens
    executive: str
    api_keys: list[str]  # a PSA's sync jobs, each with its own key (a key is allowed 600 requests a minute)
    tenant_ids: list[str]  # the CIO's (Relay ids)
    executive_tenant: str  # the executive's, which the PSA pushes to
    # (path, secret) of HaloPSA integrations' webhooks, taking turns (an integration is allowed 600
    # deliveries a minute)
    webhooks: list[tuple[str, str]]
    month: dt.date  # the last full month: the one the pages show
    writes_month: dt.date  # the month the pushed and delivered tickets fall in


@dataclass
class Results:
    latencies: list[tuple[float, str, float]] = field(default_factory=list)  # (started, kind, seconds)
    errors: list[str] = field(default_factory=list)
    memory: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # pid -> (t, rss)
    connections: list[tuple[float, int]] = field(default_factory=list)

    def percentiles(self, since: float = 0.0, until: float = float("inf"), kind: str | None = None) -> dict[str, float]:
        values = sorted(s for t, k, s in self.latencies if since <= t < until and kind in (None, k))
        if not values:
            return {}
        pick = lambda q: values[min(len(values) - 1, int(len(values) * q))] * 1000  # noqa: E731
        return {"n": len(values), "p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99)}

    def growth(self, pid: int, warm_up: float) -> float:
        """RSS at the end against RSS right after warm-up (0.05 = 5% more)."""
        samples = self.memory[pid]
        after = [rss for t, rss in samples if t >= warm_up]
        return (statistics.median(after[-3:]) - after[0]) / after[0]


class Workload:
    def __init__(self, actors: Actors, run: str):
        self.actors = actors
        self.counter = itertools.count()
        self.push = ticket_push(actors.api_keys, actors.executive_tenant, actors.writes_month, run, TICKETS_A_PUSH)
        self.deliveries = [(path, webhook_request(secret, actors.writes_month, run)) for path, secret in actors.webhooks]
        self.dashboard = dashboard_variables(actors.executive_tenant, actors.month)

    async def send(self, connection: Connection, kind: str, request: tuple[bytes, dict], results: Results,
                   path: str | None = None, expect: int = 200) -> None:
        started = time.monotonic()
        try:
            status, content = await connection.send(*request, path)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError) as error:
            await connection.close()  # reconnects on the next request
            results.errors.append(f"{kind}: transport {error!r}")
            return
        results.latencies.append((started, kind, time.monotonic() - started))
        if status != expect or (expect == 200 and failed(content)):
            results.errors.append(f"{kind}: {status} {content[:200]!r}")

    async def graphql(self, connection: Connection, kind: str, token: str, query: str, variables: dict,
                      results: Results) -> None:
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        await self.send(connection, kind, (orjson.dumps({"query": query, "variables": variables}), headers), results)

    async def one(self, connection: Connection, rng: random.Random, results: Results) -> None:
        a = self.actors
        tenant = rng.choice(a.tenant_ids)
        roll = rng.random()
        if roll < 0.15:
            await self.graphql(connection, "portfolio", a.cio, operation("portfolio"), {}, results)
        elif roll < 0.40:
            await self.graphql(connection, "dashboard", a.executive, operation("tenant_dashboard"), self.dashboard, results)
        elif roll < 0.55:
            await self.graphql(connection, "risk register", a.cio, operation("risk_register", "query RiskRegister"),
                               {"id": tenant}, results)
        elif roll < 0.65:
            await self.graphql(connection, "budget", a.cio, operation("budget_page"),
                               {"id": tenant, "fiscalYear": a.month.year}, results)
        elif roll < 0.75:
            await self.graphql(connection, "write", a.cio, CREATE_RISK, {
                "i": {"tenantId": tenant, "title": f"{RISK_TITLE} {next(self.counter)}", "category": "OPERATIONAL",
                      "likelihood": rng.randint(1, 5), "impact": rng.randint(1, 5)}}, results)
        elif roll < 0.90:
            await self.send(connection, "psa push", self.push(next(self.counter)), results)
        else:
            n = next(self.counter)
            path, delivery = self.deliveries[n % len(self.deliveries)]
            await self.send(connection, "webhook", delivery(n), results, path=path, expect=202)


def failed(content: bytes) -> bool:
    """A GraphQL answer with errors, or with user errors in any mutation's payload."""
    body = orjson.loads(content)
    data = body.get("data") or {}
    return bool(body.get("errors")) or any(
        value.get("userErrors") for value in data.values() if isinstance(value, dict)
    )


async def sample(pids: list[int], connections: Callable[[], Awaitable[int]] | None, stop: asyncio.Event,
                 results: Results, started: float) -> None:
    processes = {pid: psutil.Process(pid) for pid in pids}
    while not stop.is_set():
        now = time.monotonic() - started
        for pid, process in processes.items():
            rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            results.memory.setdefault(pid, []).append((now, rss))
        if connections is not None:
            results.connections.append((now, await connections()))
        await asyncio.sleep(1.0)


async def run_soak(base_url: str, actors: Actors, seconds: float, pids: list[int] = (),
                   connections: Callable[[], Awaitable[int]] | None = None) -> Results:
    """CONCURRENCY clients against `base_url` for `seconds`; `pids` and `connections()` are sampled."""
    results, stop = Results(), asyncio.Event()
    started = time.monotonic()
    workload = Workload(actors, f"{time.time_ns():x}")

    async def client(n: int) -> None:
        rng, connection = random.Random(n), Connection(f"{base_url}/graphql")
        try:
            while time.monotonic() - started < seconds:
                await workload.one(connection, rng, results)
        finally:
            await connection.close()

    sampler = asyncio.create_task(sample(list(pids), connections, stop, results, started))
    await asyncio.gather(*(client(n) for n in range(CONCURRENCY)))
    stop.set()
    await sampler
    results.latencies = [(t - started, kind, s) for t, kind, s in results.latencies]
    return results
