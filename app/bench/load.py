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
from urllib.parse import urlsplit

import orjson


@dataclass(frozen=True)
class Result:
    name: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]
    answered: int = 0  # every request answered as expected, warm-up included

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


def check(status: int, content: bytes, expect: int) -> None:
    if status != expect:
        raise BadAnswer(f"HTTP {status}: {content[:300]!r}")
    if expect == 200 and content[:1] == b"{" and b'"errors"' in content[:20000]:
        errors = orjson.loads(content).get("errors")
        if errors:
            raise BadAnswer(f"GraphQL errors: {str(errors)[:300]}")


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs and reads the answer, and nothing else.

    httpx spent about a millisecond of CPU per request here; on a 2-core machine the load
    generator would take the CPU the servers under test need. This reads a status line, headers
    and a Content-Length or chunked body, which is all our API and the peer send.
    """

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port or 80, parts.path or "/"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, body: bytes | None, headers: dict, path: str | None = None) -> tuple[int, bytes]:
        """POST `body` to the connection's path, or to `path` on the same server; GET when `body` is
        None (the report files)."""
        reused = self.writer is not None
        if not reused:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        start = f"GET {path or self.path} HTTP/1.1" if body is None else f"POST {path or self.path} HTTP/1.1"
        length = [] if body is None else [f"Content-Length: {len(body)}"]
        lines = [start, f"Host: {self.host}:{self.port}", *length, *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        line = await self.reader.readline()
        if not line and reused:  # the server closed the idle connection (uvicorn does after 5 s): again on a new one
            await self.close()
            return await self.send(body, headers, path)
        status = int(line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        content = await self._chunks() if chunked else await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, content

    async def _chunks(self) -> bytes:
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return b"".join(parts)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


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
    """Send `make_request(i)` (body, headers; a None body is a GET) from `concurrency` connections for
    `seconds` after a warm-up."""
    latencies: list[float] = []
    answered = 0
    counter = iter(range(10**9))
    connections = [Connection(url) for _ in range(concurrency)]

    async def loop(connection: Connection, until: float, record: bool) -> None:
        nonlocal answered
        while time.perf_counter() < until:
            if max_requests is not None and record and len(latencies) >= max_requests:
                return
            body, headers = make_request(next(counter))
            started = time.perf_counter()
            status, content = await connection.send(body, headers)
            elapsed = time.perf_counter() - started
            check(status, content, expect)
            answered += 1
            if record:
                latencies.append(elapsed * 1000)

    try:
        await asyncio.gather(*(loop(c, time.perf_counter() + warmup, False) for c in connections))
        started = time.perf_counter()
        await asyncio.gather(*(loop(c, started + seconds, True) for c in connections))
        elapsed = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return Result(name, concurrency, len(latencies), elapsed, tuple(latencies), answered)


async def measure_paths(paths: dict, seconds: float, say: Callable[[str], None], rounds: int = 6,
                        statements: dict | None = None) -> dict:
    """(name, concurrency) -> Result at c=1 and c=4 for every path of `paths` (name -> (url, request
    maker)) and every statement of `statements` (name -> a blocking run(concurrency, seconds) ->
    Result or None: pgbench's), all taking turns round by round, so a machine busier for a while
    slows them alike.

    Six short rounds rather than two long ones: a shared machine's speed drifts over seconds (a fixed
    Python loop took 28 to 54 ms run after run), and the ratios compare paths (and a path with its
    ideal statement) that would otherwise each meet a different few seconds of it."""
    results: dict = {}

    def record(got: Result | None, name: str, concurrency: int) -> None:
        if got is not None:
            results.setdefault((name, concurrency), []).append(got)
            say(f"{name:<20} c={concurrency}  p50 {got.p50:6.1f} ms  p99 {got.p99:6.1f} ms  {got.rps:7.1f} rps")

    for concurrency in (1, 4):
        for _ in range(rounds):
            for name, (url, make) in paths.items():
                record(await run(name, url, make, concurrency=concurrency, seconds=seconds / rounds), name, concurrency)
            for name, statement in (statements or {}).items():
                record(await asyncio.to_thread(statement, concurrency, seconds / rounds), name, concurrency)
    return {key: merge(parts) for key, parts in results.items()}


def merge(parts: list[Result]) -> Result:
    """One result of the rounds of the same load."""
    first = parts[0]
    return Result(first.name, first.concurrency, sum(p.requests for p in parts), sum(p.seconds for p in parts),
                  tuple(x for p in parts for x in p.latencies_ms), sum(p.answered for p in parts))


def graphql_request(query: str, variables: dict | None, headers: dict) -> Callable[[int], tuple[bytes, dict]]:
    body = orjson.dumps({"query": query, "variables": variables or {}})
    headers = {"content-type": "application/json", **headers}
    return lambda _i: (body, headers)
