"""A real worker process whose every commit takes SLOW_COMMIT_SECONDS: the crash test kills it.

Run as `python -m tests.workers.slow_worker` with DATABASE_URL, REDIS_URL, QUEUE_NAME and
JOB_TIMEOUT in the environment. The pause sits inside the transaction, just before COMMIT, so a
kill -9 lands while a batch's rows are written but not committed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.settings import Settings
from workers.main import run_worker

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    pause = float(os.environ["SLOW_COMMIT_SECONDS"])
    event.listen(Session, "before_commit", lambda session: time.sleep(pause))
    run_worker(
        Settings(),
        queue_name=os.environ["QUEUE_NAME"],
        job_timeout=float(os.environ["JOB_TIMEOUT"]),
        max_jobs=1,
        poll_delay=0.05,
        cron_jobs=[],
    )


if __name__ == "__main__":
    main()


async def wait_until(condition, seconds: float, what: str):
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def signal_inside_a_later_batch(
    *, database_url: str, redis_url: str, queue_name: str, job_timeout: float, log, ready, sig: int, wait: float
) -> None:
    """Start this worker as a subprocess, wait until `ready()` (a later batch is running), then send `sig`.

    The pause before each COMMIT makes the signal land while a batch's rows are written but not
    committed. Used by the SIGKILL test (tests/workers) and the SIGTERM test (tests/faults).
    """
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "QUEUE_NAME": queue_name,
           "JOB_TIMEOUT": str(job_timeout), "SLOW_COMMIT_SECONDS": "1.0", "FCIO_ENV": "test"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.workers.slow_worker", cwd=ROOT, env=env,
        stdout=log, stderr=log,
    )
    try:
        await wait_until(ready, 30, "the first batch to commit and the next to start")
        await asyncio.sleep(0.3)  # inside the next batch's transaction, before its COMMIT
        process.send_signal(sig)
        await asyncio.wait_for(process.wait(), wait)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
