"""`fcio report`: the same report from the command line, and errors that say what to do next."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import select

from app.months import add_months
from app.reports import links
from app.seed.demo import DEMO_PRACTICE
from app.tenants.models import Practice
from tests.reports.conftest import MONTH

FCIO = [sys.executable, "-m", "app.cli"]


async def fcio(database_url: str, redis_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, FCIO_ENV="test")
    return await asyncio.to_thread(subprocess.run, [*FCIO, *args], capture_output=True, text=True, timeout=120, env=env)


async def test_the_cli_writes_the_report_the_endpoint_serves(api, demo, database_url, redis_url, tmp_path):
    harbor, _, _ = demo
    out = tmp_path / "harbor.html"
    done = await fcio(database_url, redis_url, "report", "--tenant", harbor.slug, "--month", f"{MONTH:%Y-%m}",
                      "--format", "html", "--out", str(out), "--practice", DEMO_PRACTICE)
    assert done.returncode == 0, done.stderr
    page = await asyncio.to_thread(out.read_text)
    assert "Harbor Dental Group" in page and f"{MONTH:%B %Y}" in page and "wrote" in done.stdout


async def test_the_cli_says_what_to_do_next(api, demo, database_url, redis_url, tmp_path):
    harbor, _, _ = demo
    out = str(tmp_path / "x")
    unknown = await fcio(database_url, redis_url, "report", "--tenant", "no-such-client", "--month", "2026-01", "--out", out)
    assert unknown.returncode == 2 and "`tenants` query" in unknown.stderr
    unscored = await fcio(database_url, redis_url, "report", "--tenant", harbor.slug, "--month",
                          f"{add_months(MONTH, -60):%Y-%m}", "--out", out)
    assert unscored.returncode == 2 and f"fcio recompute --month {add_months(MONTH, -60):%Y-%m} --tenant {harbor.slug}" in unscored.stderr
    odd = await fcio(database_url, redis_url, "report", "--tenant", harbor.slug, "--month", f"{MONTH:%Y-%m}",
                     "--format", "docx", "--out", out)
    assert odd.returncode == 2 and "choose one of html" in odd.stderr
    partial = await fcio(database_url, redis_url, "report", "--tenant", harbor.slug)
    assert partial.returncode == 2 and "--month" in partial.stderr


async def test_rotating_the_secret_voids_the_links_mailed_before(api, demo, database_url, redis_url):
    harbor, _, _ = demo

    async def secret() -> str:
        async with api.services.sessionmaker() as s:
            return await s.scalar(select(Practice.report_secret).where(Practice.id == harbor.practice_id))

    before = await secret()
    token = links.issue(before, harbor.id, MONTH, "cfo@harbor.example")
    done = await fcio(database_url, redis_url, "report", "rotate-secret", "--practice", DEMO_PRACTICE)
    assert done.returncode == 0, done.stderr
    after = await secret()
    assert len(after) == 64 and after != before and links.verify(after, harbor.id, MONTH, token) is None
    unknown = await fcio(database_url, redis_url, "report", "rotate-secret", "--practice", "No Such Practice")
    assert unknown.returncode == 2 and "no practice named" in unknown.stderr
