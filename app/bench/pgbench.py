"""The limits: the one ideal SQL statement of a read, run by pgbench -M prepared.

Each builds the JSON the API answers with, in one statement under the runtime role and the
caller's tenant setting, in a transaction like ours: top risks for the CIO (200 tenants, latest
score, five highest risks) and the portfolio for a practice admin. An admin's transaction names
its practice and no tenant ids (`app.practice_id`, `app.tenant_ids` empty): row security then
allows the practice's active tenants, whatever their number. The write's limit is the same: the
1,000 new tickets of an ingestTickets call stored by one INSERT, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from app.bench.database import PUSH_SOURCE
from app.bench.load import Result
from app.health.formula import HIGH
from app.months import add_months

TRANSACTION = """\
begin;
set local role fcio_app;
{scope};
{statement};
commit;
"""

TOP_RISKS = """\
select coalesce(json_agg(x order by x.name, x.id), '[]') from (
  select t.id, t.name,
    (select json_build_object('month', h.month, 'score', h.score, 'band', h.band)
       from health_scores h where h.tenant_id = t.id order by h.month desc limit 1) as health,
    (select coalesce(json_agg(r), '[]') from (
       select r.id, r.title, r.score, r.status from risks r where r.tenant_id = t.id
       order by r.score desc, r.review_due asc nulls last, r.id limit 5) r) as risks
  from tenants t
  where t.id = any('{tenant_ids}'::uuid[]) and t.status = 'ACTIVE'
  order by t.name, t.id limit 200) x"""

# The portfolio's rows as app/api/portfolio.py defines them: the month's stored score (and the
# month before's, for `change`), risks open today scored HIGH or more (open, mitigating, or accepted
# until a day that has come), the month's tickets (hand-entered figures win over the PSAs'), the
# ticket target, spend to date (the tenant's spend per month, from the fiscal year's first month)
# against plan to date (the budget's planned total) in the fiscal year containing the month, the
# next scheduled steering meeting; worst score first.
PORTFOLIO = """\
select json_build_object('month', '{month}', 'tenantCount', count(*), 'averageScore', round(avg(x.score), 1),
  'rows', coalesce(json_agg(json_build_object(
    'tenant', json_build_object('id', x.id, 'name', x.name, 'slug', x.slug, 'industry', x.industry,
                                'employeeCount', x.employee_count),
    'health', case when x.score is not null then json_build_object('score', x.score, 'band', x.band,
                                                                   'change', x.change, 'components', x.components) end,
    'openHighRisks', x.high, 'ticketsLastMonth', x.tickets, 'ticketTarget', greatest(1, x.employee_count / 5),
    'budgetVariancePercent', x.variance, 'nextSteeringMeeting', x.meeting)
    order by coalesce(x.score, 101), x.id::text collate "C"), '[]'))
from (
  select t.id, t.name, t.slug, t.industry, t.employee_count, h.score, h.band, h.components,
    h.score - (select p.score from health_scores p where p.tenant_id = t.id and p.month = '{previous}') as change,
    (select count(*) from risks r
      where r.tenant_id = t.id and r.score >= {high} and (r.status in ('OPEN', 'MITIGATING')
        or (r.status = 'ACCEPTED' and r.accepted_until <= cast(timezone('UTC', now()) as date)))) as high,
    (select coalesce(sum(m.support) filter (where m.source = 'manual'), sum(m.support))
          + coalesce(sum(m.change) filter (where m.source = 'manual'), sum(m.change))
          + coalesce(sum(m.alert) filter (where m.source = 'manual'), sum(m.alert))
       from ticket_months m where m.tenant_id = t.id and m.month = '{month}') as tickets,
    (select case when p.planned * f.elapsed <> 0 then
              round((coalesce((select sum(s.amount) from spend_months s
                                where s.tenant_id = t.id and s.month >= make_date(f.year, t.fiscal_year_start_month, 1)
                                  and s.month <= '{month}'), 0) * 12 - p.planned * f.elapsed) * 100
                    / (p.planned * f.elapsed), 1) end
       from budgets p where p.tenant_id = t.id and p.fiscal_year = f.year) as variance,
    (select json_build_object('id', s.id, 'scheduledAt', s.scheduled_at, 'status', s.status) from steering_meetings s
      where s.tenant_id = t.id and s.status = 'SCHEDULED' and s.scheduled_at >= now()
      order by s.scheduled_at, s.id limit 1) as meeting
  from tenants t
  cross join lateral (select {year} - (t.fiscal_year_start_month > {month_number})::int as year,
                             {month_number} - t.fiscal_year_start_month + 1
                               + 12 * (t.fiscal_year_start_month > {month_number})::int as elapsed) f
  left join health_scores h on h.tenant_id = t.id and h.month = '{month}'
  where t.practice_id = '{practice_id}' and t.status = 'ACTIVE') x"""

# The tickets of one ingestTickets call (app/bench/workloads.py, ticket_push) as one INSERT: new
# external ids every transaction, the categories in turn, opened on the month's first 28 days. What
# ingestion does besides (locking the batch's stored tickets, the month's figures, the change
# counters and the audit of the call) is the difference the bench measures against this.
INGEST = """\
insert into tickets (tenant_id, id, source, external_id, category, title, priority, opened_at)
select '{tenant_id}', gen_random_uuid(), '{source}', b.run || '-' || n,
  (array['SUPPORT', 'CHANGE', 'ALERT'])[n % 3 + 1]::ticket_category, 'Bench ticket ' || n, 'P3',
  timestamptz '{month} 09:00:00+00' + (n % 28) * interval '1 day'
from (select gen_random_uuid()::text as run) b, generate_series(0, {tickets} - 1) n
on conflict (tenant_id, source, external_id) do nothing"""


def tenant_scope(tenant_ids: str) -> str:
    """The scope of a caller who sees `tenant_ids` (an array literal), as the app writes it."""
    return f"select set_config('app.tenant_ids', '{tenant_ids}', true)"


def top_risks(tenant_ids: str) -> str:
    """The peer workload's transaction for a CIO whose scope is `tenant_ids` (an array literal)."""
    return TRANSACTION.format(scope=tenant_scope(tenant_ids), statement=TOP_RISKS.format(tenant_ids=tenant_ids))


def portfolio(practice_id: str, month: dt.date) -> str:
    """The portfolio of `month` for an admin of the practice."""
    scope = (f"select set_config('app.practice_id', '{practice_id}', true), "
             "set_config('app.tenant_ids', '', true)")
    statement = PORTFOLIO.format(month=month, previous=add_months(month, -1), high=HIGH, year=month.year,
                                 month_number=month.month, practice_id=practice_id)
    return TRANSACTION.format(scope=scope, statement=statement)


def ingest(tenant_id: str, month: dt.date, tickets: int) -> str:
    """`tickets` new tickets of source PUSH_SOURCE (the bench removes them with its pushes') into
    `month` of the tenant, under its scope as an API key's request has it."""
    return TRANSACTION.format(scope=tenant_scope(f"{{{tenant_id}}}"),
                              statement=INGEST.format(tenant_id=tenant_id, source=PUSH_SOURCE, month=month, tickets=tickets))


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


def run(url: str, transaction: str, clients: int, seconds: float) -> Result | None:
    """The transaction run by `clients` for `seconds` (whole seconds, at least one); None without
    pgbench. Its latencies are read from pgbench's log of every transaction (`-l`), as ours are
    from every request, so both are a load.Result and take the same turns (load.measure_paths)."""
    exe = binary()
    if exe is None:
        return None
    args, env = libpq_args(url)
    run_for = max(1, round(seconds))
    with tempfile.TemporaryDirectory(prefix="fcio-pgbench-") as folder:
        script = Path(folder) / "ideal.sql"
        script.write_text(transaction)
        subprocess.run(
            [exe, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(run_for),
             "-l", f"--log-prefix={folder}/tx", "-f", str(script), *args],
            env=env, capture_output=True, text=True, check=True,
        )
        # One line per transaction: client, transaction number, latency in microseconds, ...
        latencies = tuple(int(line.split()[2]) / 1000 for log in Path(folder).glob("tx.*")
                          for line in log.read_text().splitlines())
    return Result("pgbench", clients, len(latencies), run_for, latencies, len(latencies))


def figures(result: Result | None) -> dict | None:
    """{'tps', 'p50_ms'} of a statement's merged runs, as BENCHMARKS.md shows them."""
    return None if result is None else {"tps": result.rps, "p50_ms": result.p50}
