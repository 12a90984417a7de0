"""The bench's own servers and data: embedded PostgreSQL and Redis under `.bench/`, or the given ones.

Seeding 5,000 tenants takes minutes, so each size gets its own database (`bench_<tenants>x<months>`)
that is kept and reused while its practices have all their tenants and the months are scored.
Beside the bench practice it holds two smaller practices (`Bench 200`, `Bench 2000`), whose
admins' portfolios show how a request's cost grows with the tenants it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from app.db.engine import async_url
from app.months import add_months, last_full_month

PRACTICE = "Bench Practice"
CIO_PASSWORD = "benchmark-password-1"
PUSH_SOURCE = "bench"  # the source of every ticket the bench pushes (removed after the run: forget_writes)


@dataclass(frozen=True)
class Size:
    tenants: int  # of the bench practice, whose admin sees them all
    months: int
    cio_tenants: int
    portfolios: tuple[int, int] = (200, 2000)  # the tenants of the two practices whose admins' portfolios compare

    @property
    def database(self) -> str:
        return f"bench_{self.tenants}x{self.months}"

    def practices(self) -> list[tuple[str, int]]:
        """(name, tenants) of every practice the database holds, the bench practice first."""
        return [(PRACTICE, self.tenants), *((portfolio_practice(n), n) for n in self.portfolios)]


def portfolio_practice(tenants: int) -> str:
    return f"Bench {tenants}"


@dataclass
class Servers:
    """Where the bench runs: URLs for the app (asyncpg) and for libpq/node clients, and the handles."""

    database_url: str  # postgresql+asyncpg://... of the bench database
    redis_url: str
    handles: list
    log_path: Path | None  # the embedded server's log (statement counting reads it)

    def close(self) -> None:
        for handle in reversed(self.handles):
            (getattr(handle, "cleanup", None) or handle.shutdown)()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(async_url(url))
    return urlunsplit(parts._replace(path="/" + name))


def plain_url(url: str) -> str:
    """asyncpg/libpq/node form of an app URL (no `+asyncpg`)."""
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def start(data_dir: Path, size: Size) -> Servers:
    """Embedded servers under `data_dir` unless DATABASE_URL / REDIS_URL are set; creates the database."""
    from app.db.embedded import start_postgres, start_redis

    handles, log_path = [], None
    base = os.environ.get("DATABASE_URL")
    if not base:
        forget_dead_handles(data_dir / "pg")
        server, base = start_postgres(data_dir)
        handles.append(server)
        log_path = Path(server.pgdata) / "log"
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        server, redis_url = start_redis(data_dir / "redis")
        handles.append(server)
    asyncio.run(create_database(base, size.database))
    return Servers(with_database(base, size.database), redis_url, handles, log_path)


def forget_dead_handles(pgdata: Path) -> None:
    """The embedded server stops when its last registered process exits; a bench that was killed
    stays registered and would keep it running forever, so dead processes are dropped first."""
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        handles.write_text(json.dumps([pid for pid in json.loads(handles.read_text() or "[]") if psutil.pid_exists(pid)]))


async def create_database(base_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_url(base_url))
    try:
        if not await conn.fetchval("select 1 from pg_database where datname = $1", name):
            await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()


async def deliveries(url: str, integration_id: str) -> dict[str, int]:
    """Webhook deliveries stored for the integration, by status (read as the owner: every tenant)."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        rows = await connection.fetch("select status::text, count(*) from webhook_deliveries where integration_id = $1 "
                                      "group by status", uuid.UUID(integration_id))
        return {status: count for status, count in rows}
    finally:
        await connection.close()


async def processed(url: str, integration_id: str, patience: float = 60.0) -> tuple[dict[str, int], float]:
    """The deliveries by status once the worker has processed them all (or `patience` s passed), and
    how long that took: a 202 only counts if the ticket it carries was written too."""
    started = time.monotonic()
    while True:
        statuses = await deliveries(url, integration_id)
        waited = time.monotonic() - started
        if not statuses.get("RECEIVED") or waited > patience:
            return statuses, waited
        await asyncio.sleep(0.1)


async def forget_writes(url: str, pushed: list[str], integration_id: str, webhook_month: dt.date) -> None:
    """Remove what a run's pushes and webhook loads wrote, so every run starts from the same
    database (a month that grew by 50,000 tickets a run made each run's ingestion slower). Pushes
    write tickets of source PUSH_SOURCE to the `pushed` tenants; the webhook loads write theirs
    into `webhook_month`, a month the seed leaves empty."""
    connection = await asyncpg.connect(plain_url(url))
    pushed = [uuid.UUID(t) for t in pushed]
    try:
        async with connection.transaction():
            await connection.execute("delete from tickets where tenant_id = any($1) and source = $2", pushed, PUSH_SOURCE)
            await connection.execute("delete from ticket_months where tenant_id = any($1) and source = $2", pushed,
                                     PUSH_SOURCE)
            webhook_tenant = await connection.fetchval("select tenant_id from integrations where id = $1",
                                                       uuid.UUID(integration_id))
            await connection.execute("delete from tickets where tenant_id = $1 and source = 'halopsa' and opened_at >= $2",
                                     webhook_tenant, dt.datetime.combine(webhook_month, dt.time(), dt.UTC))
            await connection.execute("delete from ticket_months where tenant_id = $1 and source = 'halopsa' and month >= $2",
                                     webhook_tenant, webhook_month)
            await connection.execute("delete from webhook_deliveries where integration_id = $1", uuid.UUID(integration_id))
    finally:
        await connection.close()


async def forget_risks(url: str, tenant_ids: list[str], title: str) -> int:
    """Remove the risks titled `title ...` that a run created in `tenant_ids`; returns how many."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        status = await connection.execute("delete from risks where tenant_id = any($1) and title like $2",
                                          [uuid.UUID(t) for t in tenant_ids], f"{title} %")
        return int(status.split()[-1])
    finally:
        await connection.close()


CHANGE_RISKS = """
UPDATE risks SET title = title
WHERE tenant_id = (SELECT ids[1 + $2 % cardinality(ids)] FROM (SELECT CAST(CAST($1 AS text) AS uuid[]) AS ids) AS s)
"""


async def keep_changing_risks(url: str, tenant_ids: str, every: float, stop: asyncio.Event) -> int:
    """Until `stop`, rewrite the risks of one of `tenant_ids` (a PostgreSQL array literal, in
    turn) every `every` seconds, as a CIO editing the register would; returns the writes made.
    Each write bumps the tenant's change counter, so the next read of a CIO seeing it recomputes."""
    connection = await asyncpg.connect(plain_url(url))
    writes = 0
    try:
        while not stop.is_set():
            async with connection.transaction():
                await connection.execute("SELECT set_config('app.tenant_ids', $1, true)", tenant_ids)
                await connection.execute(CHANGE_RISKS, tenant_ids, writes)
            writes += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
    finally:
        await connection.close()
    return writes


async def settle(*urls: str) -> None:
    """VACUUM (ANALYZE) each database after the writing steps, then a CHECKPOINT, so neither
    autovacuum nor the checkpointer wakes up during the read measurements (autovacuum took a core
    in the middle of one run's reads, peer and ideal SQL included; the server's autovacuum serves
    every database on it, the 10,000-tenant one scored just before the reads among them)."""
    for n, url in enumerate(urls, 1):
        connection = await asyncpg.connect(plain_url(url))
        try:
            await connection.execute("VACUUM (ANALYZE)")
            if n == len(urls):  # the server's, once all are vacuumed
                await connection.execute("CHECKPOINT")
        finally:
            await connection.close()


def scored_months(end: dt.date) -> tuple[dt.date, dt.date]:
    """The months the read paths need: a year of history up to the last full month."""
    return add_months(end, -11), end


async def practice_tenants(url: str, practice: str) -> int:
    """Tenants seeded in `practice`; 0 before (or before the schema)."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        if not await conn.fetchval("select to_regclass('public.tenants') is not null"):
            return 0
        return await conn.fetchval(
            "select count(*) from tenants t join practices p on p.id = t.practice_id where p.name = $1", practice
        )
    finally:
        await conn.close()


async def scored(url: str, end: dt.date) -> int:
    """Tenant-months scored in the months the read paths need."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        return await conn.fetchval("select count(*) from health_scores where month between $1 and $2", *scored_months(end))
    finally:
        await conn.close()


def scoring_database(servers: Servers, env: dict, say) -> dict:
    """The API issue's scoring benchmark: its own database of 10,000 tenants x 12 months, seeded
    once (nothing scored: the run scores it); returns the environment that points at it."""
    size = Size(10000, 12, 0)
    url = with_database(servers.database_url, size.database)
    asyncio.run(create_database(servers.database_url, size.database))
    scale_env = dict(env, DATABASE_URL=url)
    fcio(scale_env, "migrate")
    if asyncio.run(practice_tenants(url, PRACTICE)) == 0:
        say(f"seeding {size.tenants} tenants x {size.months} months (once; kept in {size.database}) ...")
        fcio(scale_env, "seed", "--tenants", str(size.tenants), "--months", str(size.months), "--practice", PRACTICE)
    return scale_env


def fcio(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, check=True)


def prepare(servers: Servers, size: Size, env: dict, say) -> dt.date:
    """Migrate, seed every practice and score unless already done; returns the last full month."""
    end = last_full_month()
    fcio(env, "migrate")
    for practice, tenants in size.practices():
        seeded = asyncio.run(practice_tenants(servers.database_url, practice))
        if seeded == 0:
            say(f"seeding {practice!r}: {tenants} tenants x {size.months} months (once; kept in {size.database}) ...")
            cio = ("--cio-tenants", str(size.cio_tenants), "--cio-password", CIO_PASSWORD) if practice == PRACTICE else ()
            fcio(env, "seed", "--tenants", str(tenants), "--months", str(size.months), "--practice", practice, *cio)
        elif seeded != tenants:
            raise SystemExit(f"{size.database} holds {seeded} tenants in {practice!r}, expected {tenants}: drop it and rerun.")
    first, last = scored_months(end)
    if asyncio.run(scored(servers.database_url, end)) < sum(n for _, n in size.practices()) * 12:
        say(f"scoring {first:%Y-%m}..{last:%Y-%m} ...")
        fcio(env, "recompute", "--from", f"{first:%Y-%m}", "--month", f"{last:%Y-%m}")
    return end
