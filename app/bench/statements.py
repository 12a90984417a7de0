"""SQL statements per request, counted by the server: `log_statement = all` for a short window.

Every statement a client sends is logged by PostgreSQL with the client's application_name
(ours: `fcio`, the peer: `peer`), so both systems are counted the same way, including BEGIN,
set_config and COMMIT. Needs a superuser URL and the server's log file (the embedded server).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from app.bench.database import plain_url

LOGGED = re.compile(r"^(\S*)\|\S* ?LOG:  (?:statement|execute [^:]*): ", re.M)


async def configure(url: str, on: bool) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        if on:
            await conn.execute("alter system set log_statement = 'all'")
            await conn.execute("alter system set log_line_prefix = '%a|'")
        else:
            await conn.execute("alter system reset log_statement")
            await conn.execute("alter system reset log_line_prefix")
        await conn.execute("select pg_reload_conf()")
    finally:
        await conn.close()
    await asyncio.sleep(0.3)  # every backend reloads on its next command; let the signal land


def log_size(log: Path) -> int:
    return log.stat().st_size


def read_from(log: Path, offset: int) -> str:
    with log.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


async def count(url: str, log: Path, application: str, requests: int, send: Callable[[], Awaitable[None]]) -> float:
    """Statements per request that `application` sent while `send()` was awaited `requests` times."""
    await configure(url, True)
    try:
        for _ in range(2):
            await send()  # every connection has reloaded the setting by now
        start = log_size(log)
        for _ in range(requests):
            await send()
        await asyncio.sleep(0.3)
        chunk = read_from(log, start)
    finally:
        await configure(url, False)
    return sum(1 for m in LOGGED.finditer(chunk) if m[1] == application) / requests
