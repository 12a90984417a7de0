"""The servers under test as child processes: `fcio serve` and `fcio worker` as in production, and the peer.

Each runs in its own process group, so stopping it stops its workers too; `stopping` guarantees
that nothing is left running, whatever happens in between.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import redis

from app.db.embedded import free_port

HEALTH_CHECK_KEY = "arq:queue:health-check"  # arq's default queue name and key suffix


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[:3]} exited with {process.returncode} before answering {url}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def running(command: list[str], env: dict, ready_url_of, cwd: Path | None = None, log: Path | None = None) -> Iterator[int]:
    """Start `command` on a free port (passed through `env` by the caller's `ready_url_of(port)`), yield the port."""
    port = free_port()
    env = {k: v.replace("{port}", str(port)) for k, v in env.items()}
    command = [c.replace("{port}", str(port)) for c in command]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 -- closed below
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(ready_url_of(port), process)
        yield port
    finally:
        stop(process)
        if log:
            out.close()


WORKER = [sys.executable, "-m", "app.cli", "worker"]


@contextlib.contextmanager
def worker(env: dict, redis_url: str, log: Path, timeout: float = 60,
           command: list[str] = WORKER) -> Iterator[subprocess.Popen]:
    """`fcio worker` (or `command`) as in production, from when it polls its queue (arq's health-check
    key is set, so one left by a worker before it is deleted first)."""
    out = open(log, "ab")  # noqa: SIM115 -- closed below
    client = redis.Redis.from_url(redis_url)
    client.delete(HEALTH_CHECK_KEY)
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not client.exists(HEALTH_CHECK_KEY):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start (exit code {process.poll()}); see {log}")
            time.sleep(0.2)
        yield process
    finally:
        client.close()
        stop(process)
        out.close()


# The API processes the bench runs side by side, by the settings (app/settings.py) they change.
API_SERVERS = {
    "api": {},  # production settings: compiled reads and stored answers
    "computed": {"answer_cache_mb": 0},  # every compiled read runs its statement
    "executor": {"compiled_reads": False, "answer_cache_mb": 0},  # graphql-core answers every read
}


def api_environment(settings: dict) -> dict[str, str]:
    """`settings` as the environment variables an `fcio serve` reads (FCIO_COMPILED_READS=false, ...)."""
    return {f"FCIO_{name.upper()}": str(value).lower() for name, value in settings.items()}


def api_command(workers: int) -> list[str]:
    return [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers)]
