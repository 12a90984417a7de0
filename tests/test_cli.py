"""The command line as a newcomer meets it: `fcio dev` comes up and goes down cleanly; help; checks."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from app.db.embedded import free_port

FCIO = [sys.executable, "-m", "app.cli"]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "FCIO_SMTP_URL")}
    env.update(extra)
    return env


def test_every_command_has_help():
    for command in (["dev"], ["migrate"], ["serve"], ["worker"], ["users", "create"], ["seed"], ["recompute"], ["schema", "export"],
                    ["report"], ["report", "rotate-secret"], ["users", "reset-two-factor"]):
        result = subprocess.run([*FCIO, *command, "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "usage: fcio" in result.stdout, command


def test_production_refuses_the_default_secret():
    result = subprocess.run([*FCIO, "migrate"], capture_output=True, text=True, timeout=60,
                            env=clean_env(FCIO_ENV="production", FCIO_SECRET_KEY="", DATABASE_URL="postgresql://x@/y"))
    assert result.returncode != 0 and "FCIO_SECRET_KEY" in result.stderr


def test_migrate_check_fails_on_an_empty_database(fresh_database):
    url = fresh_database("fcio_cli")
    result = subprocess.run([*FCIO, "migrate", "--check"], capture_output=True, text=True, timeout=60, env=clean_env(DATABASE_URL=url))
    assert result.returncode != 0 and "fcio migrate" in result.stderr
    assert subprocess.run([*FCIO, "migrate"], capture_output=True, timeout=120, env=clean_env(DATABASE_URL=url)).returncode == 0
    assert subprocess.run([*FCIO, "migrate", "--check"], capture_output=True, timeout=60, env=clean_env(DATABASE_URL=url)).returncode == 0


@pytest.mark.slow
def test_dev_starts_with_embedded_servers_and_stops_cleanly(tmp_path):
    port = free_port()
    data_dir = tmp_path / "d"
    process = subprocess.Popen(
        [*FCIO, "dev", "--port", str(port)], env=clean_env(FCIO_DATA_DIR=str(data_dir)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("fcio dev did not answer /healthz")
        login = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": 'mutation { login(input: {email: "admin@northwind.example", password: "demo-password-1"}) { accessToken } }'})
        token = login.json()["data"]["login"]["accessToken"]
        portfolio = httpx.post(f"http://127.0.0.1:{port}/graphql", headers={"Authorization": f"Bearer {token}"},
                               json={"query": "{ portfolio { tenantCount rows { health { score } } } }"}).json()
        assert portfolio["data"]["portfolio"]["tenantCount"] == 8
        assert all(r["health"] is not None for r in portfolio["data"]["portfolio"]["rows"])
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=120)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("fcio dev did not stop within 120 s of Ctrl-C; its output:\n" + process.communicate()[0])
    assert process.returncode == 0, output
    assert "stopped" in output
    assert f"every mail is kept in {(data_dir / 'mail').resolve()}" in output and (data_dir / "mail").is_dir()
