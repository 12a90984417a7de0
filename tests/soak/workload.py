"""The soak's mixed workload against a live server: the web client, dashboards and PSA pushes.

`run_soak` keeps CONCURRENCY clients busy for a duration and samples, every second, the RSS of
the API and worker processes and the server's connections. Shared by the short soak in the
suite and `make soak` (5 minutes).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

CONCURRENCY = 32
OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str, which: str | None = None) -> str:
    """A documented operation; `which` picks one of several in the file."""
    text = (OPERATIONS / f"{name}.graphql").read_text()
    if which is None:
        return text
    start = text.index(which)
    end = min((i for i in (text.find("\nquery ", start + 1), text.find("\nmutation ", start + 1)) if i > 0), default=len(text))
    return text[start:end]


@dataclass
class Actors:
    cio: str
    executive: str
    api_keys: list[str]  # a PSA's sync jobs, each with its own key (a key is allowed 600 requests a minute)
    tenant_ids: list[str]
    executive_tenant: str
    webhook_url: str
    webhook_secret: str


@dataclass
class Results:
    latencies: list[tuple[float, str, float]] = field(default_factory=list)  # (started, kind, seconds)
    errors: list[str] = field(default_factory=list)
    memory: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # pid -> (t, rss)
    connections: list[tuple[float, int]] = field(default_factory=list)

    def percentiles(self, since: float = 0.0, until: float = float("inf")) -> dict[str, float]:
        values = sorted(s for t, _, s in self.latencies if since <= t < until)
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
    def __init__(self, http: httpx.AsyncClient, actors: Actors):
        self.http, self.actors = http, actors
        self.counter = itertools.count()

    async def graphql(self, kind: str, token: str, query: str, variables: dict, results: Results) -> None:
        started = time.monotonic()
        response = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                        headers={"Authorization": f"Bearer {token}"})
        results.latencies.append((started, kind, time.monotonic() - started))
        body = response.json() if response.status_code < 500 else {}
        if response.status_code != 200 or body.get("errors") or _user_errors(body):
            results.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")

    async def webhook(self, results: Results) -> None:
        n = next(self.counter)
        body = json.dumps({"webhook_id": str(uuid.uuid4()), "object_id": 10_000 + n, "timestamp": "2026-10-04T11:00:00Z",
                           "ticket": {"id": 10_000 + n, "summary": "Soak", "tickettype_id": 1, "tickettype_name": "Incident",
                                      "dateoccurred": "2026-10-04T10:00:00Z", "lastactiondate": "2026-10-04T11:00:00Z"}})
        auth = base64.b64encode(f"halo:{self.actors.webhook_secret}".encode()).decode()
        started = time.monotonic()
        response = await self.http.post(self.actors.webhook_url, content=body,
                                        headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"})
        results.latencies.append((started, "webhook", time.monotonic() - started))
        if response.status_code != 202:
            results.errors.append(f"webhook: {response.status_code} {response.text[:200]}")

    async def one(self, rng: random.Random, results: Results) -> None:
        a = self.actors
        tenant = rng.choice(a.tenant_ids)
        roll = rng.random()
        if roll < 0.15:
            await self.graphql("portfolio", a.cio, operation("portfolio"), {}, results)
        elif roll < 0.40:
            await self.graphql("dashboard", a.executive, operation("tenant_dashboard"), {
                "id": a.executive_tenant, "from": "2026-01", "to": "2026-10", "fiscalYear": 2026}, results)
        elif roll < 0.55:
            await self.graphql("risk register", a.cio, operation("risk_register", "query RiskRegister"), {"id": tenant}, results)
        elif roll < 0.65:
            await self.graphql("budget", a.cio, operation("budget_page"), {"id": tenant, "fiscalYear": 2026}, results)
        elif roll < 0.75:
            await self.graphql("write", a.cio, "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id } userErrors { code } } }", {
                "i": {"tenantId": tenant, "title": f"Soak risk {next(self.counter)}", "category": "OPERATIONAL",
                      "likelihood": rng.randint(1, 5), "impact": rng.randint(1, 5)}}, results)
        elif roll < 0.90:
            n = next(self.counter)
            await self.graphql("psa push", a.api_keys[n % len(a.api_keys)], operation("psa_ticket_push"), {"input": {
                "tenantId": a.executive_tenant, "source": "soak", "tickets": [
                    {"externalId": f"S-{n}-{i}", "category": "SUPPORT", "openedAt": "2026-10-02T09:00:00Z"} for i in range(20)]}},
                results)
        else:
            await self.webhook(results)


def _user_errors(body: dict) -> list:
    data = body.get("data") or {}
    return [e for value in data.values() if isinstance(value, dict) for e in value.get("userErrors") or []]


async def sample(pids: list[int], connections, stop: asyncio.Event, results: Results, started: float) -> None:
    processes = {pid: psutil.Process(pid) for pid in pids}
    while not stop.is_set():
        now = time.monotonic() - started
        for pid, process in processes.items():
            rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            results.memory.setdefault(pid, []).append((now, rss))
        results.connections.append((now, await connections()))
        await asyncio.sleep(1.0)


async def run_soak(http: httpx.AsyncClient, actors: Actors, seconds: float, pids: list[int], connections) -> Results:
    results, stop = Results(), asyncio.Event()
    started = time.monotonic()
    workload = Workload(http, actors)

    async def client(n: int) -> None:
        rng = random.Random(n)
        while time.monotonic() - started < seconds:
            try:
                await workload.one(rng, results)
            except httpx.HTTPError as error:
                results.errors.append(f"transport: {error!r}")

    sampler = asyncio.create_task(sample(pids, connections, stop, results, started))
    await asyncio.gather(*(client(n) for n in range(CONCURRENCY)))
    stop.set()
    await sampler
    results.latencies = [(t - started, kind, s) for t, kind, s in results.latencies]
    return results
