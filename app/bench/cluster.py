"""The bench on a Citus cluster beside one node, in the same run (`run`; BENCHMARKS.md, "On a Citus cluster").

Citus is found as the tests find it (app/db/embedded.py `citus_bin_dir`); where none is installed,
`run` says so and the bench goes on. It starts a coordinator and two workers on loopback under the
bench's data dir, fresh each run (the nodes know each other by port), and compares the cluster with
one node of the same PostgreSQL build and settings: a plain database on the coordinator's own
server, without the citus extension, where fcio runs as on any single PostgreSQL. Every figure is
a pair measured in this run, the two taking turns, so each is reported as cluster / one node.

Both databases hold the same rows. The one node is migrated, seeded by the bench's generator and
scored a year back (`database.prepare`), its actors are created through the actions; the cluster's
database is migrated and distributed by `fcio migrate` and then gets every table's rows by COPY as
the owner, parents first. Seeding and scoring a year through the app on the cluster took 10x as long
as on one node here (100 tenants: 19 s and 42 s against 6 s and 4 s), minutes of a run that would
measure the seed, not fcio; the month-end scoring measured below runs the app on both.

Measured on both: month-end scoring of every tenant (`scoring.run`), top risks and the tenant
dashboard through `fcio serve` (p50 at c=1, rps at c=4, no stored answers; on the cluster the
dashboard, one tenant's, is compiled as on one node and routed whole to its worker, and the executor
answers top risks, so the one node is also measured executor-only: the same statements with and
without the coordinator in between), `ingestTickets` (tickets/s), and the
coordinator hop itself: a statement naming one tenant (routed to its worker), one touching every
shard, and `SELECT 1`, which Citus never sees, from one connection as the owner; and what a new
connection's first statement with an enum column costs (FIRST_ENUM), which the reads are warmed past.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis

from app.api import ids
from app.bench import database, load, processes, scoring, workloads
from app.bench.actors import Actors
from app.db.embedded import CITUS_MISSING, CitusCluster, citus_bin_dir
from app.db.engine import SERVER_SETTINGS, SHARDS_UNHIDDEN

QUICK = database.Size(30, 12, 20, ())
FULL = database.Size(500, 24, 200, ())
NODES = {"single": "fcio_single", "cluster": "fcio_cluster"}  # a database of each on the coordinator's server
# The API processes: the one node and the cluster as in production but with stored answers off, so
# that every request does its work (on the cluster a tenant's read is compiled, the others executed:
# app/api/compiled/compiler.py `Compiler.routed`), and the one node executor-only.
SERVERS = {"single": ("single", processes.API_SERVERS["computed"]),
           "single executor": ("single", processes.API_SERVERS["executor"]),
           "cluster": ("cluster", processes.API_SERVERS["computed"])}
READS = ("top risks", "tenant dashboard")
ROUTED, EVERY_SHARD = "one tenant's risks (routed to one worker)", "every tenant's risks (every shard)"
HOPS = {  # the coordinator's hop, statement by statement ($1 a tenant, $2 one of its risks)
    "SELECT 1 (no table)": ("SELECT 1", 0),
    ROUTED: ("SELECT count(*) FROM risks WHERE tenant_id = $1", 1),
    "one risk rewritten (routed write)": ("UPDATE risks SET title = title WHERE tenant_id = $1 AND id = $2", 2),
    EVERY_SHARD: ("SELECT count(*) FROM risks", 0),
}
HOP_ROUNDS, HOP_EACH = 5, 20
# A new connection's first statement with an enum column: asyncpg asks the server about the type
# (its introspection statement), once per connection and type. Before the app's connections turned
# Citus's shard hiding off (app/db/engine.py SHARDS_UNHIDDEN) it took ~1 s on the coordinator
# against a few ms on one node.
FIRST_ENUM = "a new connection's first statement with an enum column"
NEW_CONNECTIONS = 5


def path_name(read: str, server: str) -> str:
    return f"{read}, {server}"


def run(data_dir: Path, env: dict, redis_url: str, quick: bool, seconds: float, say: Callable[[str], None]) -> dict:
    """The cluster's figures beside one node's, or {"absent": why} where Citus is not installed."""
    bin_dir = citus_bin_dir()
    if bin_dir is None:
        say(f"no cluster part: {CITUS_MISSING}")
        return {"absent": CITUS_MISSING}
    started = time.perf_counter()
    size = QUICK if quick else FULL
    shutil.rmtree(data_dir / "citus", ignore_errors=True)
    say("starting a Citus cluster (a coordinator and two workers) ...")
    cluster = CitusCluster(data_dir / "citus", bin_dir).start()
    try:
        urls = asyncio.run(databases(cluster))
        envs = {node: dict(env, DATABASE_URL=url, REDIS_URL=redis_database(redis_url, n + 1))
                for n, (node, url) in enumerate(urls.items())}
        for node_env in envs.values():
            redis.Redis.from_url(node_env["REDIS_URL"]).flushdb()
        month, actors = seed(urls, envs, size, say)
        say(f"ready at {time.perf_counter() - started:.0f} s")
        setup = time.perf_counter() - started
        say(f"cluster part: both databases ready in {setup:.0f} s")
        results = {"size": size, "month": month, "setup_seconds": setup}
        results["hops"] = asyncio.run(hops(urls, actors))
        say(f"the coordinator's hop, p50 ms: {results['hops']}")
        results["scoring"] = {node: scoring.run(envs[node], month, limit=False) for node in urls}
        say(f"scoring on one node and on the cluster: {results['scoring']}")
        results |= served(data_dir, envs, actors, month, seconds, say)
    finally:
        cluster.stop()
    results["wall_seconds"] = time.perf_counter() - started
    return results


async def databases(cluster: CitusCluster) -> dict[str, str]:
    """node -> URL: the cluster's database (citus in it, the workers added) and the one node's."""
    single = database.with_database(cluster.url, NODES["single"])
    await database.create_database(cluster.url, NODES["single"])
    return {"single": single, "cluster": await cluster.create_database(NODES["cluster"])}


def redis_database(url: str, number: int) -> str:
    """`url` with another database number: each node's queued jobs apart from the bench's own."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


def seed(urls: dict, envs: dict, size: database.Size, say) -> tuple:
    """Seed and score the one node, create the actors there, migrate the cluster and copy the rows
    into it; returns the last full month and the actors (the same users and keys on both)."""
    single = database.Servers(urls["single"], envs["single"]["REDIS_URL"], [], None)
    month = database.prepare(single, size, envs["single"], say)
    actors = asyncio.run(create_actors(envs["single"], size))
    database.fcio(envs["cluster"], "migrate")
    say("copying the one node's rows into the cluster ...")
    rows = asyncio.run(copy_rows(urls["single"], urls["cluster"]))
    say(f"copied {rows:,} rows")
    for url in urls.values():
        asyncio.run(database.settle(url))
    return month, actors


async def create_actors(env: dict, size: database.Size) -> Actors:
    from app.bench import actors as actors_module
    from app.services import Services
    from app.settings import Settings

    services = await Services.start(Settings(DATABASE_URL=env["DATABASE_URL"], REDIS_URL=env["REDIS_URL"],
                                             secret_key=env["FCIO_SECRET_KEY"]))
    try:
        return await actors_module.create(services, size, {})
    finally:
        await services.close()


async def copy_rows(source_url: str, target_url: str) -> int:
    """Every table's rows from `source_url` into the same tables of `target_url`, parents first,
    streamed by COPY as the owner (row security does not apply to it); returns the rows. A table
    the migrations fill (the standards library) is left as they filled it, if it holds as many rows."""
    from app.models import Base

    source = await asyncpg.connect(database.plain_url(source_url))
    target = await asyncpg.connect(database.plain_url(target_url))
    copied = 0
    try:
        for table in Base.metadata.sorted_tables:
            present = await target.fetchval(f'SELECT count(*) FROM "{table.name}"')
            if present:
                expected = await source.fetchval(f'SELECT count(*) FROM "{table.name}"')
                if present != expected:
                    raise SystemExit(f"{table.name}: {present} rows on the cluster after migrating, {expected} on one node")
                continue
            chunks: asyncio.Queue = asyncio.Queue(maxsize=16)

            async def produce(name=table.name, chunks=chunks) -> None:
                await source.copy_from_table(name, output=chunks.put, format="binary")
                await chunks.put(None)

            async def consume(chunks=chunks):
                while (chunk := await chunks.get()) is not None:
                    yield chunk

            _, status = await asyncio.gather(produce(), target.copy_to_table(table.name, source=consume(), format="binary"))
            copied += int(status.split()[-1])
    finally:
        await source.close()
        await target.close()
    return copied


async def connect(url: str) -> asyncpg.Connection:
    # As the app's requests connect, but as the owner (the hops read every tenant's rows).
    return await asyncpg.connect(database.plain_url(url), server_settings={**SERVER_SETTINGS, **SHARDS_UNHIDDEN})


async def hops(urls: dict, actors: Actors) -> dict:
    """statement -> node -> p50 ms, from one connection to each database, the two taking turns;
    and the first enum statement of each of NEW_CONNECTIONS new connections."""
    connections = {node: await connect(url) for node, url in urls.items()}
    tenant = uuid.UUID(actors.dashboard_tenant_id)
    try:
        risk = await connections["single"].fetchval("SELECT id FROM risks WHERE tenant_id = $1 LIMIT 1", tenant)
        latencies: dict = {}
        for name, (sql, arguments) in HOPS.items():
            values = (tenant, risk)[:arguments]
            for round_ in range(HOP_ROUNDS + 1):  # the first round warms up
                for node, connection in connections.items():
                    times = [await timed(connection, sql, values) for _ in range(HOP_EACH)]
                    if round_:
                        latencies.setdefault(name, {}).setdefault(node, []).extend(times)
        for _ in range(NEW_CONNECTIONS):
            for node, url in urls.items():
                fresh = await connect(url)
                latencies.setdefault(FIRST_ENUM, {}).setdefault(node, []).append(
                    await timed(fresh, "SELECT status FROM risks LIMIT 1", ()))
                await fresh.close()
        return {name: {node: statistics.median(times) for node, times in by_node.items()}
                for name, by_node in latencies.items()}
    finally:
        for connection in connections.values():
            await connection.close()


async def timed(connection: asyncpg.Connection, sql: str, values: tuple) -> float:
    started = time.perf_counter()
    await connection.execute(sql, *values)
    return (time.perf_counter() - started) * 1000


def served(data_dir: Path, envs: dict, actors: Actors, month, seconds: float, say) -> dict:
    """Reads and ingestion through `fcio serve` on both: every server runs at once, the paths
    taking turns (load.measure_paths), then the pushes, one node and the cluster in turn."""
    with contextlib.ExitStack() as stack:
        urls = {}
        for server, (node, settings) in SERVERS.items():
            port = stack.enter_context(processes.running(
                processes.api_command(2), envs[node] | processes.api_environment(settings),
                lambda p: f"http://127.0.0.1:{p}/healthz", log=data_dir / "citus" / "api.log"))
            urls[server] = f"http://127.0.0.1:{port}/graphql"
        paths = {}
        for server, url in urls.items():
            token = functools.cache(functools.partial(workloads.login, url, password=actors.password))
            for read, make in workloads.headline_reads(actors, month, token).items():
                paths[path_name(read, server)] = url, make
        asyncio.run(warm(paths, seconds))
        reads = asyncio.run(load.measure_paths(paths, seconds, say))
        ingest = asyncio.run(ingestion({node: urls[node] for node in ("single", "cluster")}, actors, month, seconds))
        say("ingestTickets, tickets/s: " + ", ".join(f"{n} {r.rps * 1000:,.0f}" for n, r in ingest.items()))
    return {"reads": reads, "ingest": ingest}


async def warm(paths: dict, seconds: float) -> None:
    """Each path at c=4 first, unmeasured: the API processes open the connections c=4 will use, and
    each pays its type introspections (FIRST_ENUM) once, as a long-running pool has."""
    for name, (url, make) in paths.items():
        await load.run(name, url, make, concurrency=4, seconds=seconds / 2, warmup=0)


async def ingestion(urls: dict, actors: Actors, month, seconds: float, rounds: int = 2) -> dict:
    """node -> `ingestTickets` of 1,000 new tickets a call from 2 connections, as the main bench
    pushes them, the nodes taking turns."""
    parts: dict = {}
    tenant = ids.encode("Tenant", actors.ingest_tenant_id)
    for round_ in range(rounds):
        for node, url in urls.items():
            push = workloads.ticket_push([actors.api_key], tenant, month, f"{node}-{round_}-{time.time_ns():x}", 1000)
            parts.setdefault(node, []).append(await load.run("ingestTickets", url, push, concurrency=2,
                                                             seconds=seconds / rounds, warmup=0.3))
    return {node: load.merge(got) for node, got in parts.items()}
