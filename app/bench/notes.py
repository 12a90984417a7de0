"""The prose of BENCHMARKS.md: what made the paths fast and how each figure is measured (NOTES), and
the notes written from this run's figures."""

from __future__ import annotations

import textwrap

from app.bench.numbers import ratio
from app.bench.workloads import (
    COMPUTED,
    PEER,
    SCOPED,
    callers,
    portfolio_path,
    scoped_path,
)

NOTES = """\
## What made the paths fast, and what is still missing

- Reads: the documents users wait on are compiled into one SQL statement that builds the
  response JSON (`app/api/compiled`): `tenants`, `tenant` and what hangs off a tenant (health,
  history, risks, initiatives, budget, ticket months, policies, vendors, meetings), with the
  resolvers' own filters, orders, list tokens and cursors. A request is BEGIN, one statement that
  authenticates (the user with the tenants it sees), the tenant setting, the answer, COMMIT; RLS
  applies as on every path. Anything else (another field, a fragment, a directive, a cursor into a
  nested list) runs on graphql-core as before, and `tests/api/test_compiled_reads.py` compares both
  answers byte for byte. Relay ids are stored as generated columns (migration 0003), parsed and
  validated documents are cached per text, and the pool no longer pre-pings (a BEGIN/ROLLBACK
  before every transaction with asyncpg).
- The compiled statement writes the answer as compact JSON text (`to_json` per value,
  concatenation, `string_agg`: `app/api/compiled/sql.py`), byte for byte what orjson writes, so
  the API sends it as it comes instead of parsing and writing 240 kB again, and PostgreSQL spends
  less than on `json_build_object`/`json_agg`. A list read without cursors, page info or total is
  a plain page (no row-numbering window per parent row), and `totalCount` is its own count, except
  where the caller already knows it: an admin's unsearched tenant list is its roster
  (`Listing.total`), so a 5,000-tenant admin's page of 20 no longer counts 5,000 rows.
- Tenant scope at scale (migration 0006): an admin's transaction names its practice
  (`app.practice_id`) instead of listing its tenants; row security probes the tenant's primary
  key once a row, queries name the practice, and the practice's tenant set is kept per API
  process while its roster counter is unchanged. The tenants table's own scope check reads each
  setting once per statement (it was parsed again for every row).
- Stored answers (`app/api/compiled/answers.py`): each API process keeps the whole body of a
  compiled answer, keyed by the caller (its role, practice and exact tenant set, or for an admin
  its practice at the practice's roster counter), the document and the variables, under the change
  counter of what the caller sees (its tenants', an admin's practice's). Every write path bumps
  both counters in the same transaction, at commit (`app/db/written.py`, `app/db/versions.py`,
  migration 0019), and the authentication statement reads the counter before anything
  else, so a stored answer is served only while nothing it read has changed: exact, not
  time-based. A `tenant(id:)` page is stored under that tenant's own counter (the authentication
  statement reads each listed tenant's), so a write to one of a CIO's clients leaves the stored
  pages of the others; an answer with next meetings (the dashboard, the portfolio) is stored until
  the earliest of them begins, which its statement computes. In the mixed workload, before this,
  nothing a CIO or an executive asked twice was served stored: the dashboard and the portfolio hold
  next meetings, and each write to any of the CIO's ten tenants voided all its pages. A request
  asked again is not compiled again either. A stored answer costs BEGIN, the authentication statement and COMMIT. `top risks (no stored answers)` is
  the same request to an API with them off: it runs the compiled statement every time, and is
  what a CIO sees on the first read after a change.
{ideal}
{scale}
- The executive report (`GET /reports/{{tenantId}}/{{month}}.{{ext}}`, every format of
  `app/reports/formats.py`): the dashboard tenant's report of the month, read by its executive
  (no stored answers) and rendered per request. Its time was the executor's: 28 statements for one
  document, then 15 when what compiled was split off into a second. It is now one document
  (`graphql/operations/executive_report.graphql`, `app/reports/gather.py`) and one compiled
  statement: the fields derived by rules are written once in a form both paths run, the budget
  forecast and the roadmap's quarters as SQL the executor executes too (`app/budgets/forecast.py`,
  `app/planning/roadmap.py`), the suggested agenda as sections whose conditions and texts are
  written for loaded rows and for SQL alike (`app/steering/agenda.py`, `app/rules.py`). Two
  statements a report (authentication, the document), four with BEGIN and COMMIT; three the first
  time a process reports on a tenant, when it reads the tenant's fiscal year start (kept after
  that, and checked against the answer, which holds it). The document's statement (46,000
  characters, ~180 subqueries) took PostgreSQL 8 ms to plan on every execution, as it kept
  choosing a plan for the values, against ~2-4 ms to run it: the statement that finds the reader
  (authentication, or a link's read) asks for the generic plan, made once per connection. The
  compiled statement is kept per reader and variables, as the API keeps its own (compiling it took
  ~1.6 ms). Compiled reads go
  to the driver with their `$n` parameters as they are (through `text()` SQLAlchemy scanned the
  statement for bind names and processed each parameter on every request: over a millisecond for
  the report's 340). The page is rendered in ~1.5 ms (from ~5): escaping by `str.replace` (one
  `str.translate` pass was slower), a chart's frame and the risk grid's cells kept per scale.
  Quick runs on the shared machine while other suites ran (2026-12-02, 250 tenants, `fcio serve
  --workers 2`, the report and the dashboard asked in turn, request by request): the page's p50
  went from 4.95x and 4.63x the dashboard's to 2.39x and 2.39x, then (same script, the code
  before and after side by side, 15 rounds) from 4.94x and 3.52x to 2.43x and 1.88x; timed as the
  bench times them (each path alone for a while) the ratio swung with the machine's load.
  In process before the compiled statement was kept, the report alone: authentication ~1.3 ms,
  compiling ~1.6, the statement ~4, rendering ~2.6 (the dashboard alone ~4.7 ms). Its target's reference is the same tenant's
  dashboard without stored answers (read by the 10-tenant CIO, who sees that tenant): the
  executive's own dashboard (`tenant dashboard`, `on`) is now served stored, next meeting and all,
  which measures the store rather than the gathering the report repeats for every request.
- Figures the database keeps (`app/db/figures.py`, migrations 0008, 0009 and 0012): the monthly ticket
  figures of every PSA source and each tenant's spend per month are kept by statement triggers as
  tickets and spend are written. A push no longer recounts its month under a per-tenant lock (a
  month of 30,000 tickets took 5-10 ms to recount, and the mixed workload's pushes into one tenant
  took turns for that long), and a fiscal year's actual to date sums a dozen rows per tenant
  instead of every line's spend. A statement's deltas wait in its transaction's own pending row
  and are added at commit by a deferred constraint trigger (0012): concurrent pushes into one
  tenant used to wait for each other on the month's row from their upsert to their commit, across
  the API's round trips (a push idle in transaction held it), and the mixed workload's p99 was
  that wait; now the row is locked only while its writer commits. A past month's stale mark is
  written just before COMMIT as well (`app/db/scope.py`, `at_commit`).
- What a write waits for in the mixed workload (`pg_stat_activity` sampled every 50 ms): an API
  key's last-use mark held the key's row from the first push of each minute to its commit, and the
  key's other pushes queued behind it (now they skip it: `SKIP LOCKED`); a request's
  authenticating statement built a user's granted tenants three times, hashing every tenant of
  the practice (5.7 ms for a 10-tenant CIO of 5,000, 0.8 ms now); a one-field mutation ran in a
  savepoint (two round trips) that the request's transaction makes unneeded; the webhook writer
  asked Redis again for a job it had queued in the same second.
- The mixed workload's tail was not a lock: sampled, the API's connections were idle in
  transaction, waiting for their own process. A saturated asyncio process interleaves every request
  it has accepted, so each round trip put a request back behind all the others and a request's time
  grew with its round trips: webhooks (seven) and PSA pushes (ten) took 3-5x a read (four) at the
  median, and the process opened and closed overflow connections beyond the pool's ten. Each API
  process now admits 4 requests at a time, first come first served (`app/admission.py`): in 30 s
  runs side by side, as many requests answered (6,193 against 6,208), p99/p50 1.9x against 8.2x.
  The reads' p50 rises (they wait their turn too); the p99 falls by more.
- Scoring writes each batch in one `INSERT ... SELECT FROM jsonb_to_recordset` (an executemany of
  500 rows took 0.3 s) and the bench, like the worker, runs two batch jobs at once, so one's SQL
  overlaps the other's formula. The split sums each phase over all batches.
- Webhooks: deliveries arriving together are stored in one statement and one commit; nobody is
  answered before the commit holding their row, and the run counts the stored rows against the
  202s. The worker (`fcio worker`, running as in production) processes them on the same 2 cores:
  one job per tenant and second, which waits while the tenant's PSA is mid-burst (a delivery in
  the last second, at most 10 s) and then takes 500 deliveries to a transaction with a fixed
  number of statements. The 6 s burst here is therefore received with the worker idle and
  processed after it; the run waits for every delivery to be PROCESSED and reports how long that
  took. A PSA that does not pause for 10 s gets the worker processing alongside: the second
  webhook row (15 s) measures that; before the worker waited for a pause, every burst got it
  (p99 50-110 ms on the quick bench's database, a third fewer deliveries a second).
- Statement counts here include what the test (`tests/api/test_statement_counts.py`) leaves out:
  BEGIN and COMMIT.

## How it is measured

- `make bench` (`python -m app.bench`) seeds its own database once (embedded PostgreSQL in
  `.bench/`, or `DATABASE_URL`), scores a year of months, starts `fcio serve --workers 2`
  (production settings) and PostGraphile v5 (Node 22, `.bench/peer`) side by side, and drives both
  from the bench process over loopback with closed-loop keep-alive connections (a minimal HTTP/1.1
  client, `app/bench/load.py`: httpx spent about a millisecond of CPU per request, CPU the servers
  under test need on 2 cores). Ours and the peer alternate in six rounds within each concurrency
  (every path measured takes its turn in each); every answer is checked (HTTP status, no GraphQL
  errors). The load generator shares the 2 cores with the servers, for both systems alike.
- The peer answers the peer workload under the same runtime role (`fcio_app`) and the same
  transaction-local `app.tenant_ids`, so the same RLS applies; it reaches the CIO's tenants
  through the CIO's grants (the tenants table has no row security; the app filters it by the
  caller's ids). "Same data" compares tenant names, latest scores and the five risks of both.
- Statements per request are counted by PostgreSQL itself (`log_statement = all` for a few
  requests, by `application_name`), BEGIN and COMMIT included.
- The ideal SQL is one statement building the same JSON, run by `pgbench -M prepared` in a
  transaction with the same role and tenant setting: the CIO's tenant ids for top risks, the
  practice (and no tenant ids) for an admin's portfolio. It takes its turns in the same rounds as
  the HTTP paths (a second of each, six times at each concurrency), so a path and its ideal meet
  the same stretches of this machine's speed; its p50 is read from pgbench's log of every
  transaction.
- Scale: the bench database holds, beside the bench practice, two practices of {small:,} and {large:,}
  tenants seeded the same way; the portfolio is read by their admins from an API that stores no
  answers (`FCIO_ANSWER_CACHE_MB=0`) and, for {small:,}, from one that compiles none
  (`FCIO_COMPILED_READS=false`: the executor). `me`, the dashboard of one tenant and the first
  page of 20 tenants are read by a CIO granted 10 tenants and by the admin of the bench practice
  (all its tenants), from the API without stored answers, so every request does its work.
- The mixed workload (`app/bench/mixed.py`, the soak's): {concurrency} clients for {mixed_seconds:g} s, as
  CIO (the 10-tenant CIO: portfolio 15%, risk register 15%, budget page 10%, new risks 10%), as
  the dashboard's client executive (25%) and as its PSA (pushes of 20 tickets through 8 API keys
  15%, HaloPSA webhooks 10%), with the worker running; once against the API with everything on
  and once against the executor-only API. Its tickets go into the current month (no score
  changes) and everything it wrote is removed afterwards.
- Scoring runs in its own process (`python -m app.bench.scoring`, the workers' `score_batch` per
  batch of 500, two batches at once as the worker runs them), so its peak RSS is the scoring's own. Its limit is one
  `INSERT ... SELECT ... ON CONFLICT` reading the same rows per tenant into a temp table.
- Report deliveries (`app/bench/deliveries.py`, after the HTTP figures): every tenant of the bench
  practice with two client executives (seeded in bulk where missing), the month's deliveries
  queued as the monthly run queues them after scoring, mailed by the worker's code to an SMTP
  server in the bench process (aiosmtpd) that counts each mail by Message-ID and recipient. At 40%
  SENT the worker is killed (SIGKILL) and started again; the rate is the deliveries SENT before
  the kill over the time since the worker started, the peak RSS the larger VmHWM of the two worker
  processes. The worker runs with a job timeout of 20 s (production: 300 s), as arq retries a
  killed worker's jobs once that timeout and 10 s have passed. "Exactly once" is every delivery
  SENT in `report_deliveries` and received by the sink; a mail received twice (accepted, then the
  kill rolled its SENT back, then sent again under the same Message-ID) is counted as a duplicate.
- Ingestion: `ingestTickets` with 1,000 new tickets a call, an API key, 2 connections, taking
  turns (three rounds each) with its reference: the same tickets stored by one INSERT under
  pgbench from 2 clients, as the runtime role in the tenant's scope (`app/bench/pgbench.py`
  `INGEST`), which leaves out what ingestion does besides (reading the batch's stored tickets,
  the month's figures, the change counters). Webhook: HaloPSA deliveries (Basic auth) from 50
  connections; each is stored and answered 202, the deliveries stored are counted against the
  202s answered, and the run waits for the worker to process them all (each a new ticket) before
  it counts their outcomes. Its reference, just before it: `/healthz` from 50 connections (no
  database, no token: the API's bare answer, as the dashboard's reference is at c=1), the worker
  running.
"""


def ideal_note(results: dict) -> str:
    """Top risks without stored answers against the ideal statement, in this run's figures."""
    reads, ideal = results["reads"], results["ideal"]
    if not (ideal.get(1) and ideal.get(4)):
        return "- pgbench was not found: no ideal statement was run."
    one, four = reads[(COMPUTED, 1)], reads[(COMPUTED, 4)]
    peer = reads.get((PEER, 4))
    note = (f"Without stored answers, top risks answered in {one.p50:.1f} ms at c=1 (p50) against the ideal "
            f"statement's {ideal[1]['p50_ms']:.1f} ms ({ratio(one.p50, ideal[1]['p50_ms'])}), and {four.rps:.0f} "
            f"requests/s at c=4 against its {ideal[4]['tps']:.0f} ({ratio(four.rps, ideal[4]['tps'])})"
            + (f"; PostGraphile {peer.rps:.0f} ({ratio(peer.rps, ideal[4]['tps'])})." if peer else ".")
            + " The ideal is the bare statement under pgbench: no HTTP, no authentication, no ids or cursors, "
              "no JSON handed to a client, and pgbench runs with nothing else, while at c=4 the API processes, PostgreSQL "
              "and the load generator share the 2 cores.")
    return textwrap.fill(note, width=100, initial_indent="- ", subsequent_indent="  ")


def scale_note(results: dict) -> str:
    """What this run shows of how a request's cost grows with the tenants it reads or may see."""
    reads, size = results["reads"], results["size"]
    small, large = size.portfolios
    p_small, p_large = reads[(portfolio_path(small), 1)].p50, reads[(portfolio_path(large), 1)].p50
    growth = p_large / p_small
    rows = large / small
    pace = "in proportion to" if rows / 1.2 <= growth <= rows * 1.2 else "faster than" if growth > rows else "slower than"
    few, many = callers(size)
    scoped = ", ".join(f"{read} {reads[(scoped_path(read, many), 1)].p50 / reads[(scoped_path(read, few), 1)].p50:.2f}x"
                       for read in SCOPED)
    note = (f"The portfolio is a compiled read: one statement whose figures are the health inputs' own SQL "
            f"definitions (`app/health/inputs.py`, shared with scoring) and the portfolio's (`app/api/portfolio.py`, "
            f"shared with the executor). In this run its p50 at c=1 was {p_large:.1f} ms for {large:,} tenants against "
            f"{p_small:.1f} ms for {small:,}: {growth:.1f}x for {rows:g}x the rows, so its cost grows {pace} the rows "
            f"it reads. A {many}'s requests against a {few}'s (p50, c=1): {scoped} (DESIGN.md, \"Tenancy at scale\").")
    return textwrap.fill(note, width=100, initial_indent="- ", subsequent_indent="  ")
