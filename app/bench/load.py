"""A small closed-loop load generator: N connections, each sending its next request when the last answers.

It runs in the bench process, apart from the servers it measures, over loopback keep-alive
connections. Every answer is checked (status and no GraphQL errors) so a fast error is never
counted as a fast request.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson


@dataclass(frozen=True)
class Result:
    name: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return self.percentile(99)


class BadAnswer(RuntimeError):
    pass


def check(response: httpx.Response, expect: int) -> None:
    if response.status_code != expect:
        raise BadAnswer(f"HTTP {response.status_code}: {response.text[:300]}")
    if expect == 200 and b'"errors"' in response.content[:20000]:
        errors = orjson.loads(response.content).get("errors")
        if errors:
            raise BadAnswer(f"GraphQL errors: {str(errors)[:300]}")


async def run(
    name: str,
    url: str,
    make_request: Callable[[int], tuple[bytes, dict]],
    *,
    concurrency: int,
    seconds: float,
    warmup: float = 0.5,
    expect: int = 200,
    max_requests: int | None = None,
) -> Result:
    """Send `make_request(i)` (body, headers) from `concurrency` connections for `seconds` after a warm-up."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    counter = iter(range(10**9))
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        async def loop(until: float, record: bool) -> None:
            while time.perf_counter() < until:
                if max_requests is not None and record and len(latencies) >= max_requests:
                    return
                body, headers = make_request(next(counter))
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                elapsed = time.perf_counter() - started
                check(response, expect)
                if record:
                    latencies.append(elapsed * 1000)

        await asyncio.gather(*(loop(time.perf_counter() + warmup, False) for _ in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(loop(started + seconds, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Result(name, concurrency, len(latencies), elapsed, tuple(latencies))


def graphql_request(query: str, variables: dict | None, headers: dict) -> Callable[[int], tuple[bytes, dict]]:
    body = orjson.dumps({"query": query, "variables": variables or {}})
    headers = {"content-type": "application/json", **headers}
    return lambda _i: (body, headers)
