"""The month's executive report deliveries of the bench practice, mailed by the worker to a local sink.

`python -m app.bench.deliveries [--quick]` runs this part alone; `python -m app.bench` runs it after
the HTTP figures. Every tenant of the bench practice gets `EXECUTIVES` client executives (seeded
here in bulk where missing: the real action hashes a password per user), the month's deliveries
are queued as the monthly run queues them after scoring (`queue_scored_batch`, batch by batch),
and `fcio worker`'s code mails them to an SMTP server in this process (aiosmtpd) that counts what
it accepts by Message-ID and recipient.

Part way (`KILL_AT` of the deliveries SENT) the worker is killed (SIGKILL: no cleanup, its
transactions roll back) and started again. The figures: deliveries a second before the kill (the
rate), the whole run's wall time, the worker's peak RSS (VmHWM of each worker process, the larger),
the states in `report_deliveries`, and what the sink received per delivery: every delivery must
be SENT and received at least once. A mail the sink accepted whose SENT the kill rolled back is
sent again under the same Message-ID: those are counted as duplicates, not hidden.

The killed worker's jobs are retried by arq once their in-progress mark expires (the worker's
`job_timeout` + 10 s), so the worker here runs with `JOB_TIMEOUT` (a delivery takes well under a
second); production keeps 300 s. Each run first removes the month's deliveries of the practice, so
every run mails all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import sys
import time
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import asyncpg
from aiosmtpd.controller import Controller
from arq import create_pool

from app.auth.passwords import hash_password
from app.bench import database, processes
from app.db.embedded import free_port
from app.mail.config import plain_url

EXECUTIVES = 2  # client executives per tenant
KILL_AT = 0.4  # of the deliveries SENT when the worker is killed
JOB_TIMEOUT = 20  # seconds; a killed worker's jobs run again JOB_TIMEOUT + 10 s later
PATIENCE = 1800  # seconds without a delivery SENT before the run gives up
POLL = 0.5


class Sink:
    """An SMTP server's handler that accepts every mail and counts it by (Message-ID, recipient)."""

    def __init__(self):
        self.received: Counter[tuple[str, str]] = Counter()

    async def handle_DATA(self, server, session, envelope):
        headers = BytesParser(policy=policy.default).parsebytes(envelope.original_content, headersonly=True)
        self.received[(str(headers["Message-ID"]), str(headers["To"]))] += 1
        return "250 2.0.0 Counted"


SEED_USERS = """
insert into users (id, practice_id, email, name, role, password_hash, version)
select gen_random_uuid(), t.practice_id, format('executive-%s@%s.bench.example', n, t.slug),
       format('Executive %s of %s', n, t.name), 'CLIENT_EXECUTIVE', $2, 1
from tenants t join practices p on p.id = t.practice_id, generate_series(1, $3) n
where p.name = $1
on conflict (email) do nothing
"""
SEED_GRANTS = """
insert into grants (user_id, tenant_id)
select u.id, t.id from tenants t join practices p on p.id = t.practice_id, generate_series(1, $2) n,
     users u where p.name = $1 and u.email = format('executive-%s@%s.bench.example', n, t.slug)
on conflict do nothing
"""


async def prepare(url: str, month: dt.date) -> tuple[list, int]:
    """Seed the executives where missing and remove the month's deliveries; (tenant ids, deliveries expected)."""
    connection = await asyncpg.connect(database.plain_url(url))
    try:
        async with connection.transaction():
            if await connection.fetchval(
                    "select count(*) < $2 from users u join practices p on p.id = u.practice_id "
                    "where p.name = $1 and u.email like 'executive-%@%.bench.example'",
                    database.PRACTICE, EXECUTIVES * await practice_size(connection)):
                await connection.execute(SEED_USERS, database.PRACTICE, hash_password(database.CIO_PASSWORD), EXECUTIVES)
                await connection.execute(SEED_GRANTS, database.PRACTICE, EXECUTIVES)
            tenants = [r["id"] for r in await connection.fetch(
                "select t.id from tenants t join practices p on p.id = t.practice_id where p.name = $1 "
                "and t.status = 'ACTIVE' order by t.id", database.PRACTICE)]
            await connection.execute("delete from report_deliveries where month = $1 and tenant_id = any($2)",
                                     month, tenants)
            # Every active, unopted client executive the monthly run mails (the seeded ones and the bench's own).
            expected = await connection.fetchval(
                "select count(*) from grants g join users u on u.id = g.user_id where g.tenant_id = any($1) "
                "and u.role = 'CLIENT_EXECUTIVE' and u.disabled_at is null and not u.report_opt_out", tenants)
            await connection.execute("update practices set reports_enabled = true where name = $1", database.PRACTICE)
    finally:
        await connection.close()
    return tenants, expected


async def practice_size(connection) -> int:
    return await connection.fetchval("select count(*) from tenants t join practices p on p.id = t.practice_id "
                                     "where p.name = $1", database.PRACTICE)


async def queue_month(env: dict, tenants: list, month: dt.date) -> int:
    """The monthly run's queueing, as the worker does it after scoring, batch by batch."""
    from app.db.engine import make_engine, make_sessionmaker
    from app.health.recompute import batches
    from app.reports.delivery import queue_scored_batch
    from app.services import redis_settings

    engine = make_engine(env["DATABASE_URL"])
    redis = await create_pool(redis_settings(env["REDIS_URL"]))
    try:
        queued = 0
        for batch in batches(tenants, 500):
            queued += await queue_scored_batch(redis, make_sessionmaker(engine), batch, month)
        return queued
    finally:
        await redis.aclose()
        await engine.dispose()


async def month_rows(url: str, select: str, tenants: list, month: dt.date, then: str = "") -> list:
    """`select ... from report_deliveries` of the month's deliveries of `tenants`, `then` after the
    conditions (as the owner: every tenant)."""
    connection = await asyncpg.connect(database.plain_url(url))
    try:
        return await connection.fetch(f"{select} from report_deliveries where month = $1 and tenant_id = any($2) {then}",
                                      month, tenants)
    finally:
        await connection.close()


async def states(url: str, tenants: list, month: dt.date) -> dict[str, int]:
    rows = await month_rows(url, "select state::text, count(*)", tenants, month, "group by state")
    return {state: count for state, count in rows}


async def delivery_ids(url: str, tenants: list, month: dt.date) -> dict[str, str]:
    """delivery id -> recipient, for matching what the sink received."""
    return {str(r["id"]): r["recipient"] for r in await month_rows(url, "select id, recipient", tenants, month)}


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), read before it ends."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_for_sent(url: str, tenants: list, month: dt.date, reached: int, say) -> int:
    """Block until `reached` deliveries are SENT (or none more for PATIENCE s); how many are."""
    last, since = -1, time.monotonic()
    while True:
        sent = asyncio.run(states(url, tenants, month)).get("SENT", 0)
        if sent >= reached:
            return sent
        if sent != last:
            last, since = sent, time.monotonic()
        elif time.monotonic() - since > PATIENCE:
            say(f"deliveries: stuck at {sent} SENT for {PATIENCE} s")
            return sent
        time.sleep(POLL)


def run(servers: database.Servers, env: dict, month: dt.date, data_dir: Path, say) -> dict:
    """The deliveries part (see the module's text); its figures."""
    tenants, expected = asyncio.run(prepare(servers.database_url, month))
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    worker_env = dict(env, FCIO_SMTP_URL=plain_url("127.0.0.1", controller.port))
    command = [sys.executable, "-m", "app.bench.deliveries", "--worker"]
    log = data_dir / "deliveries-worker.log"
    peaks = []
    try:
        say(f"deliveries: queueing {expected:,} for {len(tenants):,} tenants ...")
        started = time.perf_counter()
        queued = asyncio.run(queue_month(worker_env, tenants, month))
        kill_at = int(expected * KILL_AT)
        with processes.worker(worker_env, servers.redis_url, log, command=command) as first:
            worker_started = time.perf_counter()
            before_kill = wait_for_sent(servers.database_url, tenants, month, kill_at, say)
            rate_seconds = time.perf_counter() - worker_started
            peaks.append(peak_rss_mb(first.pid))
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        received_at_kill = sum(sink.received.values())
        say(f"deliveries: worker killed at {before_kill:,} SENT ({received_at_kill:,} mails received); starting it again")
        with processes.worker(worker_env, servers.redis_url, log, command=command) as second:
            sent = wait_for_sent(servers.database_url, tenants, month, expected, say)
            peaks.append(peak_rss_mb(second.pid))
        wall = time.perf_counter() - started
    finally:
        controller.stop()
    recipients = asyncio.run(delivery_ids(servers.database_url, tenants, month))
    per_delivery = Counter()
    for (message_id, to), count in sink.received.items():
        delivery = message_id.removeprefix("<report-delivery.").split("@", 1)[0]
        if recipients.get(delivery) == to:
            per_delivery[delivery] += count
    figures = {
        "tenants": len(tenants), "expected": expected, "queued": queued, "sent": sent,
        "states": asyncio.run(states(servers.database_url, tenants, month)),
        "rate": before_kill / rate_seconds, "wall_seconds": wall, "peak_rss_mb": max(peaks),
        "killed_at": before_kill, "received_at_kill": received_at_kill,
        "mails": sum(sink.received.values()), "received_once": sum(1 for c in per_delivery.values() if c == 1),
        "duplicates": sum(c - 1 for c in per_delivery.values() if c > 1),
        "never_received": len(recipients) - len(per_delivery), "job_timeout": JOB_TIMEOUT,
    }
    say(f"deliveries: {figures}")
    return figures


def worker() -> None:
    """`fcio worker`'s worker, with the bench's JOB_TIMEOUT."""
    from app.settings import get_settings
    from workers.main import run_worker

    run_worker(get_settings(), job_timeout=JOB_TIMEOUT)


def main(argv=None) -> None:
    from app.bench.__main__ import ROOT, environment, say

    p = argparse.ArgumentParser(prog="python -m app.bench.deliveries", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the quick bench's database (250 tenants)")
    p.add_argument("--data-dir", type=Path, default=ROOT / ".bench")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # the worker process this part starts
    args = p.parse_args(argv)
    if args.worker:
        return worker()
    size = database.Size(250, 24, 200, (20, 200)) if args.quick else database.Size(5000, 24, 200)
    servers = database.start(args.data_dir, size)
    try:
        env = environment(servers, args.data_dir)
        month = database.prepare(servers, size, env, say)
        print(json.dumps(run(servers, env, month, args.data_dir, say)))
    finally:
        servers.close()


if __name__ == "__main__":
    main()
