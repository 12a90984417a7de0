"""The limit for the peer workload: the one ideal SQL statement, run by pgbench -M prepared.

It builds the same JSON the API answers with (200 tenants, latest score, five highest risks), in
one statement under the runtime role and the CIO's tenant setting, in a transaction like ours.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

IDEAL = """\
begin;
set local role fcio_app;
select set_config('app.tenant_ids', '{tenant_ids}', true);
select coalesce(json_agg(x order by x.name, x.id), '[]') from (
  select t.id, t.name,
    (select json_build_object('month', h.month, 'score', h.score, 'band', h.band)
       from health_scores h where h.tenant_id = t.id order by h.month desc limit 1) as health,
    (select coalesce(json_agg(r), '[]') from (
       select r.id, r.title, r.score, r.status from risks r where r.tenant_id = t.id
       order by r.score desc, r.review_due asc nulls last, r.id limit 5) r) as risks
  from tenants t
  where t.id = any('{tenant_ids}'::uuid[]) and t.status = 'ACTIVE'
  order by t.name, t.id limit 200) x;
commit;
"""


def binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    return None


def libpq_args(url: str) -> tuple[list[str], dict]:
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    args = ["-h", host, "-U", parts.username or "postgres", "-d", parts.path.lstrip("/")]
    if parts.port:
        args += ["-p", str(parts.port)]
    env = dict(os.environ, PGPASSWORD=parts.password or "")
    return args, env


def run(url: str, tenant_ids: str, clients: int, seconds: int) -> dict | None:
    """{'tps', 'latency_ms'} of the ideal statement; None without pgbench."""
    exe = binary()
    if exe is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(IDEAL.format(tenant_ids=tenant_ids))
    args, env = libpq_args(url)
    try:
        out = subprocess.run(
            [exe, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
             "-f", script.name, *args],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    tps = float(re.search(r"tps = ([\d.]+)", out)[1])
    latency = float(re.search(r"latency average = ([\d.]+) ms", out)[1])
    return {"tps": tps, "latency_ms": latency}
