"""`python -m app.bench [--quick]`: every path a user waits on, beside the peer, the ideal SQL, and
itself at another size or setting.

Seeds (once) and serves a bench database, drives `fcio serve` (as in production, without stored
answers, and executor-only) and PostGraphile alternately from this process over loopback, counts
statements, times scoring, ingestion, webhooks, the mixed workload and the month's report deliveries,
measures the same on a Citus cluster beside one node where Citus is installed (app/bench/cluster.py),
then writes BENCHMARKS.md and the plot. Everything it starts is stopped before it returns.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import os
import secrets
import sys
import time
import traceback
from pathlib import Path

import httpx
import orjson

from app.api import ids
from app.bench import (
    cluster,
    database,
    deliveries,
    load,
    mixed,
    pgbench,
    processes,
    report,
    scoring,
    statements,
    workloads,
)
from app.bench import peer as peer_module
from app.bench.numbers import fmt
from app.integrations.processing import MAX_DELAY
from app.months import add_months

ROOT = Path(__file__).resolve().parents[2]


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def options(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m app.bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="250 tenants, short runs (checks the harness in < 4 min)")
    p.add_argument("--data-dir", type=Path, default=ROOT / ".bench")
    p.add_argument("--seconds", type=float, help="measuring time per figure (default 6, quick 1.5)")
    p.add_argument("--mixed-seconds", type=float, help="the mixed workload's time per setting (default 60, quick 5)")
    p.add_argument("--workers", type=int, default=2, help="API processes (fcio serve --workers)")
    p.add_argument("--no-peer", action="store_true", help="skip PostGraphile")
    p.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    p.add_argument("--plot", type=Path, default=ROOT / "bench-latency.png")
    return p.parse_args(argv)


def environment(servers: database.Servers, data_dir: Path) -> dict:
    """Production settings for the served API; the secret is kept, as it encrypts the integration's."""
    secret = data_dir / "secret_key"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(48))
    return dict(os.environ, DATABASE_URL=servers.database_url, REDIS_URL=servers.redis_url, FCIO_ENV="production",
                FCIO_SECRET_KEY=secret.read_text().strip(), FCIO_LOG_LEVEL="WARNING")


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory, "python": sys.version.split()[0],
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


WRITE_EVERY = 0.1  # seconds between two edits of a CIO's tenant's risks
INGEST_BATCH, INGEST_CONNECTIONS = 1000, 2  # tickets per ingestTickets call; connections pushing
WEBHOOK_CONNECTIONS = 50
HTTP_FLOOR_PATH = "/healthz"  # the API's bare answer: no database, no token, no GraphQL


async def while_writing(servers: database.Servers, actors, path: tuple, seconds: float) -> dict:
    """Top risks at c=4 while one of the CIO's tenants changes every WRITE_EVERY s: what stored
    answers are worth when they keep being invalidated (every answer is still checked)."""
    stop, started = asyncio.Event(), time.perf_counter()
    writer = asyncio.create_task(database.keep_changing_risks(servers.database_url, actors.cio_tenant_ids,
                                                              WRITE_EVERY, stop))
    try:
        got = await load.run("top risks while writing", *path, concurrency=4, seconds=seconds / 2)
    finally:
        stop.set()
    writes = await writer
    return {"rps": got.rps, "p50": got.p50, "p99": got.p99, "writes_per_s": writes / (time.perf_counter() - started)}


async def count_statements(servers: database.Servers, paths: dict) -> dict:
    if servers.log_path is None:
        return {}
    counts = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for name, (url, make) in paths.items():
            async def send(url=url, make=make):
                body, headers = make(0)
                response = await client.request("GET" if body is None else "POST", url, content=body, headers=headers)
                load.check(response.status_code, response.content, 200)

            application = "peer" if "peer" in name else "fcio"
            counts[name] = await statements.count(servers.database_url, servers.log_path, application, 5, send)
    return counts


def main(argv=None) -> None:
    args = options(argv)
    started = time.perf_counter()
    size = database.Size(250, 24, 200, (20, 200)) if args.quick else database.Size(5000, 24, 200)
    seconds = args.seconds or (1.5 if args.quick else 6)
    mixed_seconds = args.mixed_seconds or (5 if args.quick else 60)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    servers = database.start(args.data_dir, size)
    try:
        env = environment(servers, args.data_dir)
        month = database.prepare(servers, size, env, say)
        os.environ.update(env)
        from app.bench import actors as actors_module
        from app.services import Services
        from app.settings import get_settings

        get_settings.cache_clear()

        async def create(saved: dict):
            services = await Services.start(get_settings())
            try:
                return await actors_module.create(services, size, saved)
            finally:
                await services.close()

        actors = actors_module.load_or_create(args.data_dir / f"{size.database}.actors.json",
                                              lambda saved: asyncio.run(create(saved)))
        # Scoring first, on a quiet database: after the HTTP runs, autovacuum and the checkpointer
        # are still busy with the webhook and ingestion writes.
        say("month-end scoring of every tenant ...")
        scored = {"scoring": scoring.run(env, month)}
        say(f"scoring: {scored['scoring']}")
        written = [servers.database_url]
        if not args.quick:
            say("month-end scoring at 10,000 tenants x 12 months ...")
            scale_env = database.scoring_database(servers, env, say)
            scored["scoring_10k"] = scoring.run(scale_env, month)
            say(f"scoring 10,000: {scored['scoring_10k']}")
            written.append(scale_env["DATABASE_URL"])
        asyncio.run(database.settle(*written))
        results = run_servers(args, servers, env, actors, size, month, seconds, mixed_seconds) | scored
        results["deliveries"] = deliveries.run(servers, env, month, args.data_dir, say)
        results["profile"] = profile_slowest(results, actors, size, month, args.quick)
        results["cluster"] = on_cluster(args, env, servers, seconds)
    finally:
        servers.close()
    results.update(machine=machine(), size=size, seconds=seconds, mixed_seconds=mixed_seconds, month=month, quick=args.quick,
                   wall_seconds=time.perf_counter() - started, workers=args.workers)
    report.write(results, args.output, args.plot)
    say(f"wrote {args.output.name} and {args.plot.name} in {time.perf_counter() - started:.0f} s")


def run_servers(args, servers, env, actors, size, month, seconds, mixed_seconds) -> dict:
    """Everything measured over HTTP, with our API processes and the peer running side by side."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        ports = {server: stack.enter_context(processes.running(
            processes.api_command(args.workers), env | processes.api_environment(settings),
            lambda p: f"http://127.0.0.1:{p}/healthz", log=args.data_dir / "api.log"))
            for server, settings in processes.API_SERVERS.items()}
        urls = {server: f"http://127.0.0.1:{port}/graphql" for server, port in ports.items()}
        if not args.no_peer:
            peer_dir = args.data_dir / "peer"
            node = peer_module.install(peer_dir, say)
            peer_url = database.plain_url(servers.database_url)
            peer_url += ("&" if "?" in peer_url else "?") + "application_name=peer"
            peer_env = dict(os.environ, PEER_DATABASE_URL=peer_url, PEER_PORT="{port}", GRAPHILE_ENV="production")
            peer_port = stack.enter_context(processes.running(
                peer_module.command(peer_dir, node), peer_env, lambda p: f"http://127.0.0.1:{p}/graphql",
                cwd=peer_dir, log=args.data_dir / "peer.log"))
            urls["peer"] = f"http://127.0.0.1:{peer_port}/graphql"

        @functools.cache
        def token(email: str) -> str:
            return workloads.login(urls["api"], email, actors.password)

        url = database.plain_url(servers.database_url)
        reads = workloads.reads(actors, size, month, token, peer="peer" in urls)
        paths = {name: (urls[server], make) for name, (server, make) in reads.items()}
        results: dict = {"same_data": None, "servers": {name: server for name, (server, _) in reads.items()}}
        api_base = urls["api"].removesuffix("/graphql")
        for name, (path, make) in workloads.reports(actors, month, token).items():
            paths[name], results["servers"][name] = (api_base + path, make), "api"
        # The reference of the dashboard as served: the same API's bare answer, taking turns with it.
        paths[workloads.HTTP_FLOOR], results["servers"][workloads.HTTP_FLOOR] = (api_base + HTTP_FLOOR_PATH,
                                                                                workloads.get_request), "api"
        if "peer" in urls:
            ours, theirs = answer(paths["top risks"]), answer(paths[workloads.PEER])
            results["same_data"] = workloads.same_top_risks(ours, theirs)
            results["response_bytes"] = {"ours": len(orjson.dumps(ours)), "peer": len(orjson.dumps(theirs))}
            say(f"same data from both: {results['same_data']}")
        portfolio_admin = actors.portfolio_admin(size.portfolios[0])
        ideals = {"ideal": pgbench.top_risks(actors.cio_tenant_ids),
                  "ideal_portfolio": pgbench.portfolio(portfolio_admin.practice_id, month)}
        results["reads"] = asyncio.run(load.measure_paths(paths, seconds, say, statements={
            name: functools.partial(pgbench.run, url, transaction) for name, transaction in ideals.items()}))
        for name in ideals:
            results[name] = {c: pgbench.figures(results["reads"].pop((name, c), None)) for c in (1, 4)}
        results["while_writing"] = asyncio.run(while_writing(servers, actors, paths["top risks"], seconds))
        say(f"top risks c=4 while risks change: {results['while_writing']}")
        results["statements"] = asyncio.run(count_statements(servers, paths))
        say(f"statements per request: {results['statements']}")
        # The worker runs from here on, as in production: it processes what ingestion and the
        # webhooks write (stale months, deliveries) on the cores the API answers on.
        stack.enter_context(processes.worker(env, servers.redis_url, log=args.data_dir / "worker.log"))
        run_id = f"{time.time_ns():x}"
        push = workloads.ticket_push([actors.api_key], ids.encode("Tenant", actors.ingest_tenant_id), month, run_id,
                                     INGEST_BATCH)
        results["ingest"], results["ideal_ingest"] = measure_ingest(
            urls["api"], push, functools.partial(pgbench.run, url, pgbench.ingest(actors.ingest_tenant_id, month,
                                                                                  INGEST_BATCH)), seconds)
        inserted = results["ideal_ingest"]
        say(f"ingestTickets: {fmt(results['ingest'].rps * INGEST_BATCH, 0)} tickets/s, the one INSERT "
            f"{fmt(inserted and inserted.rps * INGEST_BATCH, 0)} tickets/s")
        # The webhook's reference: the API's bare answer from as many connections, the worker running.
        results["webhook_floor"] = asyncio.run(load.run("healthz", api_base + HTTP_FLOOR_PATH, workloads.get_request,
                                                        concurrency=WEBHOOK_CONNECTIONS, seconds=seconds, warmup=0.3))
        say(f"/healthz c={WEBHOOK_CONNECTIONS}: p99 {results['webhook_floor'].p99:.1f} ms")
        webhook = f"http://127.0.0.1:{ports['api']}{webhook_path(actors)}"
        results["webhook"] = measure_webhook(servers, actors, month, webhook, seconds)
        # A PSA that never pauses long enough: the worker processes alongside after MAX_DELAY.
        results["webhook_sustained"] = measure_webhook(servers, actors, month, webhook,
                                                       MAX_DELAY.total_seconds() + 5)
        results["mixed"] = measure_mixed(servers, actors, month, urls, token, mixed_seconds)
    return results


def measure_ingest(api: str, push, ideal, seconds: float, rounds: int = 3) -> tuple[load.Result, load.Result | None]:
    """ingestTickets from 2 connections and its one INSERT (pgbench, as many clients), taking turns
    round by round; each merged. The INSERT's tickets are removed with the pushes' (`forget`)."""
    pushed, inserted = [], []
    for _ in range(rounds):
        pushed.append(asyncio.run(load.run("ingestTickets", api, push, concurrency=INGEST_CONNECTIONS,
                                           seconds=seconds / rounds, warmup=0.3)))
        inserted.append(ideal(INGEST_CONNECTIONS, seconds / rounds))
    return load.merge(pushed), None if None in inserted else load.merge(inserted)


def answer(path: tuple) -> dict:
    url, make = path
    body, headers = make(0)
    return orjson.loads(httpx.post(url, content=body, headers=headers, timeout=60).content)


def webhook_path(actors) -> str:
    return f"/integrations/{actors.integration_id}/webhook"


def forget(servers: database.Servers, actors, month: dt.date) -> None:
    """Remove what the pushes and webhook loads wrote (and whatever an interrupted run left)."""
    asyncio.run(database.forget_writes(servers.database_url, [actors.ingest_tenant_id, actors.dashboard_tenant_id],
                                       actors.integration_id, add_months(month, 1)))


def measure_webhook(servers: database.Servers, actors, month: dt.date, url: str, seconds: float) -> dict:
    """HaloPSA deliveries from 50 connections for `seconds`, then the worker's outcomes.

    The load's tickets go into the month after the seeded ones and are removed afterwards, with
    its deliveries (and whatever an interrupted run left before it)."""
    forget(servers, actors, month)
    deliveries = workloads.webhook_request(actors.integration_secret, add_months(month, 1), f"{time.time_ns():x}")
    sent = asyncio.run(load.run("webhook", url, deliveries, concurrency=WEBHOOK_CONNECTIONS, seconds=seconds,
                                warmup=0.3, expect=202))
    statuses, drained = asyncio.run(database.processed(servers.database_url, actors.integration_id))
    forget(servers, actors, month)
    measured = {"load": sent, "lost": sent.answered - sum(statuses.values()), "statuses": statuses, "drained_s": drained}
    say(f"webhook c=50 for {seconds:.0f} s: p99 {sent.p99:.1f} ms, {sent.rps:.0f} deliveries/s, "
        f"{measured['lost']} of {sent.answered} answered 202 not stored; "
        f"by status {statuses}, the worker done {drained:.1f} s after the load")
    return measured


def measure_mixed(servers: database.Servers, actors, month: dt.date, urls: dict, token, seconds: float) -> dict:
    """The mixed workload at c=32 for `seconds` against the API with everything on, then against
    the one with compiled reads and stored answers off (the executor), the worker running for
    both. Each starts once the worker has processed the deliveries before it; what the two wrote
    (risks, pushed tickets, deliveries) is removed afterwards."""
    writer = mixed.Actors(
        cio=token(actors.small_cio_email), executive=token(actors.executive_email), api_keys=actors.mixed_api_keys,
        tenant_ids=[ids.encode("Tenant", t) for t in actors.small_cio_tenant_ids],
        executive_tenant=ids.encode("Tenant", actors.dashboard_tenant_id),
        webhooks=[(webhook_path(actors), actors.integration_secret)], month=month, writes_month=add_months(month, 1),
    )
    measured = {}
    try:
        for server in ("api", "executor"):
            asyncio.run(database.processed(servers.database_url, actors.integration_id))
            got = asyncio.run(mixed.run_soak(urls[server].removesuffix("/graphql"), writer, seconds))
            measured[server] = mixed_figures(got, seconds)
            say(f"mixed c={mixed.CONCURRENCY} on {server}: {measured[server]['rps']:.0f} rps, p50 {measured[server]['p50']:.0f} / "
                f"p99 {measured[server]['p99']:.0f} ms, {len(got.errors)} errors {got.errors[:3]}")
        asyncio.run(database.processed(servers.database_url, actors.integration_id))
    finally:
        risks = asyncio.run(database.forget_risks(servers.database_url, actors.small_cio_tenant_ids, mixed.RISK_TITLE))
        forget(servers, actors, month)
        say(f"mixed workload: {risks} risks and the pushed tickets and deliveries removed")
    return measured


def mixed_figures(got: mixed.Results, seconds: float) -> dict:
    overall = got.percentiles()
    kinds = sorted({kind for _, kind, _ in got.latencies})
    return {**overall, "rps": overall["n"] / seconds, "errors": len(got.errors), "first_errors": got.errors[:3],
            "kinds": {kind: got.percentiles(kind=kind) for kind in kinds}}


def on_cluster(args, env: dict, servers: database.Servers, seconds: float) -> dict:
    """The figures on a Citus cluster beside one node (app/bench/cluster.py), last, on a quiet
    machine. A failure there is reported in BENCHMARKS.md instead of losing the run's other figures."""
    try:
        return cluster.run(args.data_dir, env, servers.redis_url, args.quick, seconds, say)
    except (Exception, SystemExit) as error:
        traceback.print_exc()
        return {"failed": f"{type(error).__name__}: {error}"}


def profile_slowest(results: dict, actors, size, month, quick: bool) -> dict:
    from app.bench.profile import profile

    ours = {name: r for (name, c), r in results["reads"].items()
            if c == 1 and name != workloads.PEER and not name.startswith(workloads.REPORT)}
    slowest = max(ours, key=lambda n: ours[n].p50)
    say(f"profiling {slowest} in process ...")
    summary = profile(slowest, results["servers"][slowest], actors, size, month, 10 if quick else 40)
    return {"path": slowest, "summary": asyncio.run(summary)}


if __name__ == "__main__":
    main()
