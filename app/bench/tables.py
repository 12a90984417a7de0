"""The figure tables of BENCHMARKS.md: the read paths, the ideal statements, the mixed workload, and
the rows of scoring, ingestion, webhooks and report deliveries."""

from __future__ import annotations

from app.bench.numbers import fmt, ratio
from app.bench.workloads import (
    COMPUTED,
    OURS,
    portfolio_path,
)

SERVERS = {"api": "on", "computed": "no stored answers", "executor": "executor only", "peer": "PostGraphile"}


def read_rows(results: dict) -> list[str]:
    reads, counts = results["reads"], results["statements"]
    names = sorted({name for name, _ in reads}, key=lambda n: (n.replace(" (peer)", ""), n))
    rows = ["| path | served by | c=1 p50 / p99 ms | c=1 rps | c=4 p50 / p99 ms | c=4 rps | SQL statements per request |",
            "|---|---|---|---|---|---|---|"]
    for name in names:
        one, four = reads[(name, 1)], reads[(name, 4)]
        rows.append(f"| {name} | {SERVERS[results['servers'][name]]} | {one.p50:.1f} / {one.p99:.1f} | {one.rps:.0f} | "
                    f"{four.p50:.1f} / {four.p99:.1f} | {four.rps:.0f} | {fmt(counts.get(name), 0)} |")
    return rows


def ideal_rows(results: dict) -> list[str]:
    """Each ideal statement beside the paths that answer the same request."""
    reads, small = results["reads"], results["size"].portfolios[0]
    statements = (("top risks", results["ideal"], (OURS, COMPUTED)),
                  (f"portfolio, {small:,} tenants", results["ideal_portfolio"], (portfolio_path(small),)))
    rows = ["| statement | clients | tps | p50 ms | path | path rps / tps | path p50 / ideal p50 |",
            "|---|---|---|---|---|---|---|"]
    for name, ideal, paths in statements:
        for c in (1, 4):
            if not ideal.get(c):
                continue
            for path in paths:
                got = reads[(path, c)]
                rows.append(f"| {name} | {c} | {ideal[c]['tps']:.0f} | {ideal[c]['p50_ms']:.2f} | {path} | "
                            f"{ratio(got.rps, ideal[c]['tps'])} | {ratio(got.p50, ideal[c]['p50_ms'])} |")
    return rows


def mixed_rows(results: dict) -> list[str]:
    mixed = results["mixed"]
    kinds = sorted({kind for got in mixed.values() for kind in got["kinds"]})
    rows = [f"| API | requests/s | p50 / p95 / p99 ms | errors | p50 by kind ms ({', '.join(kinds)}) |",
            "|---|---|---|---|---|"]
    for server, title in (("api", "everything on"), ("executor", "compiled reads and stored answers off")):
        got = mixed[server]
        by_kind = " / ".join(fmt(got["kinds"].get(kind, {}).get("p50"), 0) for kind in kinds)
        errors = f"{got['errors']}" + (f" ({'; '.join(got['first_errors'])})" if got["errors"] else "")
        rows.append(f"| {title} | {got['rps']:.0f} | {got['p50']:.0f} / {got['p95']:.0f} / {got['p99']:.0f} | "
                    f"{errors} | {by_kind} |")
    return rows


def scoring_10k_rows(s: dict | None) -> list[str]:
    """The health issue's own benchmark: 10,000 tenants x 12 months (full runs only)."""
    if not s:
        return []
    return [
        f"| scoring 10,000 tenants (seeded x 12 months) | {s['seconds']:.2f} s, {s['tenants'] / s['seconds']:,.0f} "
        f"tenants/s, peak RSS {s['peak_rss_mb']:.0f} MB; split "
        + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in s.get("split", {}).items()) + " |",
    ]


def ideal_ingest_rows(inserted) -> list[str]:
    if inserted is None:
        return []
    return [f"| the same tickets by one INSERT (pgbench, 2 clients, taking turns with it) | {inserted.rps * 1000:,.0f} "
            f"tickets/s, p50 {inserted.p50:.0f} ms |"]


def floor_rows(floor) -> list[str]:
    if floor is None:
        return []
    return [f"| /healthz, 50 connections ({floor.seconds:.0f} s, just before the webhook's) | p50 {floor.p50:.1f} ms, "
            f"p99 {floor.p99:.1f} ms, {floor.rps:.0f} answers/s |"]


def webhook_rows(title: str, hook: dict | None) -> list[str]:
    """A webhook load's latency, and what the worker made of its deliveries and when it was done."""
    if not hook:
        return []
    sent = hook["load"]
    statuses = ", ".join(f"{count:,} {status}" for status, count in sorted(hook["statuses"].items()))
    return [
        f"| {title} ({sent.seconds:.0f} s) | p50 {sent.p50:.1f} ms, p99 {sent.p99:.1f} ms, {sent.rps:.0f} deliveries/s |",
        f"| the worker, for those deliveries | {statuses}; done {hook['drained_s']:.1f} s after the load |",
    ]


def delivery_rows(d: dict | None) -> list[str]:
    if not d:
        return []
    states = ", ".join(f"{count:,} {state}" for state, count in sorted(d["states"].items()))
    return [
        f"| report deliveries, {d['tenants']:,} tenants x their client executives ({d['expected']:,} mails) | "
        f"{d['rate']:.1f} deliveries/s before the kill; all done in {d['wall_seconds']:.0f} s (killed at "
        f"{d['killed_at']:,} SENT, retried after the {d['job_timeout']} s job timeout + 10 s) |",
        f"| the worker's peak RSS (the larger of the two processes) | {d['peak_rss_mb']:.0f} MB |",
        f"| report_deliveries after the run / at the sink | {states}; {d['mails']:,} mails received, "
        f"{d['received_once']:,} deliveries once, {d['duplicates']} duplicates, {d['never_received']} never |",
    ]
