"""Month-end scoring of every tenant, run in its own process (`python -m app.bench.scoring`).

Its own process, so its peak memory is the scoring's alone: it scores `--month` for all active
tenants with the workers' code path (`score_batch` per batch of FCIO_HEALTH_BATCH_SIZE) and prints
one JSON line. `limit_seconds` times the floor: one INSERT ... SELECT ... ON CONFLICT that reads
the same rows per tenant and writes one row per tenant, inside PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time

from sqlalchemy import text

from app.db.engine import make_engine
from app.health.actions import score_batch
from app.health.formula import CRITICAL, HIGH, MEDIUM, STEERING_WINDOW
from app.health.recompute import tenant_batches
from app.lifecycle.rules import EXPIRING_DAYS, HARDWARE, LIFECYCLE_YEARS
from app.months import parse_month
from app.services import Services
from app.settings import get_settings
from app.standards.alignment import HALVES, WEIGHTS

# Batch jobs at once, as an arq worker runs them (it allows 10): one batch's Python scoring
# overlaps another's SQL, one per core here. `split` sums each phase over the batches.
JOBS_AT_ONCE = 2

LIMIT_TABLE = "create temp table if not exists bench_limit (tenant_id uuid, month date, inputs jsonb, primary key (tenant_id, month))"


def _case(column: str, values: dict, otherwise: str = "0") -> str:
    return f"case {column} " + " ".join(f"when '{k}' then {v}" for k, v in values.items()) + f" else {otherwise} end"


# A risk counted as open at the end of the month (formula v2: an expired acceptance is open again).
OPEN = "(status in ('OPEN', 'MITIGATING') or (status = 'ACCEPTED' and accepted_until <= :month_end))"
WEIGHT, EARNED = _case("st.priority", WEIGHTS), _case("a.alignment", HALVES)
HARDWARE_KINDS = ", ".join(f"'{k}'" for k in sorted(HARDWARE))
YEARS = _case("kind", LIFECYCLE_YEARS, "null")  # software and cloud services have no service life

# The inputs of inputs.py, per tenant, in one statement (ticket figures summed over sources): all
# eight components', the latest completed review's sums and the assets in service by status included.
LIMIT = text(f"""
insert into bench_limit (tenant_id, month, inputs)
select t.id, :month, jsonb_build_object(
  'employees', t.employee_count, 'tickets', tk.total,
  'budget_lines', b.lines, 'planned', b.planned, 'actual', sm.actual, 'unplanned', b.unplanned,
  'risks', r.n, 'critical', r.critical, 'high', r.high, 'medium', r.medium, 'overdue', r.overdue, 'expired', r.expired,
  'initiatives', i.n, 'due', i.due, 'done', i.done, 'held', s.held, 'policies', p.n,
  'completed_at', al.completed_at, 'possible', al.possible, 'halves', al.halves, 'applicable', al.applicable,
  'aligned', al.aligned, 'gaps', al.gaps,
  'current', lc.current, 'expiring', lc.expiring, 'unsupported', lc.unsupported, 'unknown', lc.unknown)
from tenants t
left join (select tenant_id, sum(support + change + alert) total from ticket_months
           where month = :month group by tenant_id) tk on tk.tenant_id = t.id
cross join lateral (select extract(year from :month)::int
     - case when extract(month from :month) >= t.fiscal_year_start_month then 0 else 1 end as year) fy
left join (select l.tenant_id, bu.fiscal_year, count(*) lines, sum(l.planned) planned,
                  count(*) filter (where l.planned = 0 and sp.amount > 0) unplanned
           from budget_lines l join budgets bu on bu.tenant_id = l.tenant_id and bu.id = l.budget_id
           left join (select tenant_id, budget_line_id, sum(amount) amount from budget_spend
                      where month <= :month group by tenant_id, budget_line_id) sp
             on sp.tenant_id = l.tenant_id and sp.budget_line_id = l.id
           group by l.tenant_id, bu.fiscal_year) b
  on b.tenant_id = t.id and b.fiscal_year = fy.year
left join lateral (select coalesce(sum(amount), 0) actual from spend_months
                   where tenant_id = t.id and month >= make_date(fy.year, t.fiscal_year_start_month, 1)
                     and month <= :month) sm on b.lines is not null
left join (select tenant_id, count(*) n,
                  count(*) filter (where {OPEN} and score >= {CRITICAL}) critical,
                  count(*) filter (where {OPEN} and score >= {HIGH} and score < {CRITICAL}) high,
                  count(*) filter (where {OPEN} and score >= {MEDIUM} and score < {HIGH}) medium,
                  count(*) filter (where {OPEN} and review_due < :month_end) overdue,
                  count(*) filter (where status = 'ACCEPTED' and accepted_until <= :month_end) expired
           from risks group by tenant_id) r on r.tenant_id = t.id
left join (select tenant_id, count(*) n,
                  count(*) filter (where target_month <= :month and status not in ('CANCELLED', 'DEFERRED')) due,
                  count(*) filter (where target_month <= :month and status = 'DONE') done
           from initiatives group by tenant_id) i on i.tenant_id = t.id
left join (select tenant_id, count(distinct date_trunc('month', scheduled_at at time zone 'UTC')) held
           from steering_meetings where status = 'HELD'
             and scheduled_at >= (:month - interval '{STEERING_WINDOW - 1} months') and scheduled_at < (:month + interval '1 month')
           group by tenant_id) s on s.tenant_id = t.id
left join (select tenant_id, count(*) n from policies
           where status = 'APPROVED' and approved_on + make_interval(0, review_interval_months) >= :month_end
           group by tenant_id) p on p.tenant_id = t.id
left join (select lr.tenant_id, lr.completed_at,
                  coalesce(sum({WEIGHT} * case when a.alignment = 'NOT_APPLICABLE' then 0 else 1 end), 0) possible,
                  coalesce(sum({WEIGHT} * {EARNED}), 0) halves,
                  count(*) filter (where a.alignment <> 'NOT_APPLICABLE') applicable,
                  count(*) filter (where a.alignment = 'ALIGNED') aligned,
                  count(*) filter (where st.priority = 'HIGH' and a.alignment in ('PARTIAL', 'NOT_ALIGNED')) gaps
           from (select distinct on (tenant_id) tenant_id, id, completed_at from reviews
                 where status = 'COMPLETED' and completed_at < (:month + interval '1 month')
                 order by tenant_id, completed_at desc, id desc) lr
           left join review_answers a on a.tenant_id = lr.tenant_id and a.review_id = lr.id
           left join standards st on st.id = a.standard_id
           group by lr.tenant_id, lr.completed_at) al on al.tenant_id = t.id
left join (select tenant_id,
                  count(*) filter (where d > cast(:month_end as date) + {EXPIRING_DAYS}) current,
                  count(*) filter (where d > :month_end and d <= cast(:month_end as date) + {EXPIRING_DAYS}) expiring,
                  count(*) filter (where d <= :month_end) unsupported,
                  count(*) filter (where d is null) unknown
           from (select tenant_id, coalesce(replace_by, least(end_of_support,
                          case when kind in ({HARDWARE_KINDS}) then warranty_end end,
                          cast(purchased_on + make_interval({YEARS}) as date))) d
                 from assets where (purchased_on is null or purchased_on <= :month_end)
                   and (retired_on is null or retired_on > :month_end)) x
           group by tenant_id) lc on lc.tenant_id = t.id
where t.id = any(:ids) and t.status = 'ACTIVE'
on conflict (tenant_id, month) do update set inputs = excluded.inputs
""")


async def score_all(services: Services, month, limit: bool = True) -> dict:
    """Score every active tenant twice, timing the second pass (the limit statement it is compared
    with runs on a warm cache too: a cold first pass after seeding another database took 1.5x).
    Without `limit` the statement is not run (Citus plans none of its lateral joins)."""
    groups = await tenant_batches(services.sessionmaker, services.settings.health_batch_size)
    ids = [t for batch in groups for t in batch]
    await score_batches(services, groups, month, {})
    split: dict[str, float] = {}
    started = time.perf_counter()
    scored = await score_batches(services, groups, month, split)
    seconds = time.perf_counter() - started
    limit = await limit_seconds(services, ids, month) if limit else None
    return {"tenants": scored, "seconds": seconds, "limit_seconds": limit, "split": split,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


async def score_batches(services: Services, groups: list[list], month, split: dict[str, float]) -> int:
    running = asyncio.Semaphore(JOBS_AT_ONCE)

    async def job(batch) -> int:
        async with running:
            return await score_batch(services.sessionmaker, batch, month, split)

    return sum(await asyncio.gather(*(job(b) for b in groups)))


async def limit_seconds(services: Services, ids: list, month) -> float:
    """As the owner, without row security: a policy comparing each row against 5,000 ids costs more
    than the work itself (the app scores batches of 500), and the floor should be the work."""
    from app.months import last_day

    owner = make_engine(services.settings.database_url, runtime_role=False, pool_size=1)
    try:
        async with owner.connect() as conn:
            async with conn.begin():
                await conn.execute(text(LIMIT_TABLE))
                started = time.perf_counter()
                await conn.execute(LIMIT, {"month": month, "month_end": last_day(month), "ids": ids})
                return time.perf_counter() - started
    finally:
        await owner.dispose()


def run(env: dict, month, limit: bool = True) -> dict:
    """Score `month` in a process of its own against the database of `env`; its JSON line (what
    it writes to stderr goes to the bench's)."""
    command = [sys.executable, "-m", "app.bench.scoring", "--month", f"{month:%Y-%m}", *(() if limit else ("--no-limit",))]
    out = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


async def main(month: str, limit: bool) -> None:
    services = await Services.start(get_settings())
    try:
        print(json.dumps(await score_all(services, parse_month(month), limit)))
    finally:
        await services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="score every tenant for one month and time it")
    parser.add_argument("--month", required=True)
    parser.add_argument("--no-limit", action="store_true", help="leave out the single statement")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.month, not arguments.no_limit))
