"""A real `fcio serve` process on loopback, over a database of its own, for tests that need the wire.

Schemathesis drives it over HTTP; the soak loads it and reads its memory. Its database is its
own, so whatever a generated mutation creates never reaches another test's rows.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.db.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "correct horse battery"


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen
    admin_email: str

    def login(self) -> str:
        query = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }"
        response = httpx.post(f"{self.base_url}/graphql", json={
            "query": query, "variables": {"i": {"email": self.admin_email, "password": ADMIN_PASSWORD}}})
        return response.json()["data"]["login"]["accessToken"]


async def run_command(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    """A command run to completion (at most 2 minutes) off the event loop, its output captured as text."""
    return await asyncio.to_thread(subprocess.run, args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


@contextmanager
def live_server(database_url: str, redis_url: str, log_path: Path, workers: int = 1):
    """Serve `database_url` (migrated) with a practice admin created through the CLI."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "FCIO_ENV": "test", "FCIO_LOG_LEVEL": "WARNING"}
    admin = "admin@live.example.com"
    subprocess.run([sys.executable, "-m", "app.cli", "users", "create", "--practice", "Live practice", "--email", admin,
                    "--password", ADMIN_PASSWORD, "--role", "PRACTICE_ADMIN"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"fcio serve did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            yield LiveServer(base, process, admin)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
