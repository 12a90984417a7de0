"""The bench's report text: its placeholders are the values the writer gives (a brace in prose broke a run)."""

from __future__ import annotations

import string

from app.bench.notes import NOTES
from app.bench.tables import delivery_rows
from app.bench.targets import delivery_targets

GIVEN = {"scale", "ideal", "concurrency", "mixed_seconds", "small", "large"}


def test_the_notes_name_only_the_values_the_writer_gives():
    named = {field for _, field, _, _ in string.Formatter().parse(NOTES) if field is not None}
    assert named <= GIVEN, named - GIVEN


def deliveries(**changed) -> dict:
    figures = {"tenants": 250, "expected": 500, "queued": 500, "sent": 500, "states": {"SENT": 500}, "rate": 12.5,
               "wall_seconds": 80.0, "peak_rss_mb": 210.0, "killed_at": 200, "received_at_kill": 201, "mails": 501,
               "received_once": 499, "duplicates": 1, "never_received": 0, "job_timeout": 20}
    return figures | changed


def test_the_deliveries_target_holds_only_when_every_delivery_is_sent_and_received_and_shows_duplicates():
    ((_, met, _, figures),) = delivery_targets(deliveries())
    assert met and "1 received twice" in figures and "12.5 deliveries/s" in figures
    for broken in ({"states": {"SENT": 499, "QUEUED": 1}}, {"never_received": 1}):
        ((_, met, _, _),) = delivery_targets(deliveries(**broken))
        assert not met, broken
    assert delivery_targets(None) == [] and delivery_rows(None) == []
    assert any("210 MB" in row for row in delivery_rows(deliveries()))


def cluster_figures() -> dict:
    """A cluster part's results: the cluster twice as slow as one node's compiled reads everywhere."""
    from app.bench.cluster import FIRST_ENUM, HOPS, READS, SERVERS, path_name
    from app.bench.database import Size
    from app.bench.load import Result

    def result(ms: float, concurrency: int) -> Result:
        return Result("r", concurrency, 100, 100 * ms / 1000 / concurrency, (ms,) * 100)

    slower = {"single": 1, "single executor": 1.5, "cluster": 2}
    reads = {(path_name(read, server), c): result(10 * slower[server], c) for read in READS for server in SERVERS for c in (1, 4)}
    return {"size": Size(500, 24, 200, ()), "setup_seconds": 60.0, "wall_seconds": 300.0, "reads": reads,
            "scoring": {"single": {"tenants": 500, "seconds": 0.5, "split": {"inputs": 0.3, "upsert": 0.1}},
                        "cluster": {"tenants": 500, "seconds": 2.0, "split": {"inputs": 1.5, "upsert": 0.4}}},
            "ingest": {"single": Result("i", 2, 10, 1.0, (200,) * 10), "cluster": Result("i", 2, 5, 1.0, (400,) * 10)},
            "hops": {name: {"single": 0.1, "cluster": 0.3} for name in (*HOPS, FIRST_ENUM)}}


def test_the_cluster_section_gives_each_figure_on_both_and_the_cluster_over_one_node():
    from app.bench.cluster_report import section

    text = "\n".join(section(cluster_figures()))
    assert "| month-end scoring, 500 tenants | 1,000 tenants/s | 250 tenants/s | 0.25x |" in text
    assert "| top risks, p50 at c=1 (compiled reads) | 10.0 ms | 20.0 ms | 2.00x |" in text
    assert "| top risks, p50 at c=1 (the executor on both) | 15.0 ms | 20.0 ms | 1.33x |" in text
    assert "| tenant dashboard, rps at c=4 (compiled reads) | 400.0 rps | 200.0 rps | 0.50x |" in text
    assert "| ingestTickets, 1,000 a call, 2 connections | 10,000 tickets/s | 5,000 tickets/s | 0.50x |" in text
    prose = text.replace("\n", " ")
    assert "routed to its worker for +0.20 ms over one node" in prose
    assert "gathered its inputs in 1.50 s against 0.30 s" in prose


def test_without_citus_or_when_the_part_failed_the_section_says_so_and_the_report_goes_on():
    from app.bench.cluster_report import section
    from app.db.embedded import CITUS_MISSING

    assert CITUS_MISSING in "\n".join(section({"absent": CITUS_MISSING}))
    assert "failed in this run (RuntimeError: no worker)" in "\n".join(section({"failed": "RuntimeError: no worker"}))
    assert section(None) == []


def reference_figures(dashboard_ms: float = 2.0, pushed_per_s: float = 8.0, hook_p99_ms: float = 60.0, **hook) -> dict:
    """What reference_targets reads: the dashboard and /healthz at c=1, the pushes and the one
    INSERT (1,000 tickets each), the webhook's load and /healthz at 50 connections."""
    from app.bench.load import Result
    from app.bench.workloads import HTTP_FLOOR

    def result(ms: float, requests: int = 100, seconds: float = 1.0) -> Result:
        return Result("r", 1, requests, seconds, (ms,) * requests, requests)

    webhook = {"load": result(hook_p99_ms), "lost": 0, "statuses": {"PROCESSED": 100}, "drained_s": 1.0} | hook
    return {"reads": {("tenant dashboard", 1): result(dashboard_ms), (HTTP_FLOOR, 1): result(1.0)},
            "ingest": result(200, requests=int(pushed_per_s)), "ideal_ingest": result(50, requests=20),
            "webhook": webhook, "webhook_floor": result(20.0),
            "scoring": {"tenants": 7200, "seconds": 7.2}}


def test_the_dashboard_ingestion_and_webhooks_are_held_to_their_same_run_references():
    from app.bench.targets import (
        DASHBOARD_OVER_FLOOR,
        INGEST_OVER_INSERT,
        WEBHOOK_OVER_FLOOR,
        reference_targets,
    )

    def met(**figures) -> list[bool]:
        return [holds for _, holds, _, _ in reference_targets(reference_figures(**figures))]

    assert met() == [True, True, True]
    # Each one just past its bound fails alone: the dashboard against /healthz's 1 ms, the pushes'
    # 1,000-ticket calls against the INSERT's 20,000 tickets/s, the webhook's p99 against 20 ms.
    assert met(dashboard_ms=DASHBOARD_OVER_FLOOR * 1.01) == [False, True, True]
    assert met(pushed_per_s=20 * INGEST_OVER_INSERT * 0.9) == [True, False, True]
    assert met(hook_p99_ms=20 * WEBHOOK_OVER_FLOOR * 1.01) == [True, True, False]
    # A fast webhook that lost a delivery, or left one unprocessed, does not pass.
    assert met(lost=1) == met(statuses={"PROCESSED": 99, "FAILED": 1}) == [True, True, False]
    (dash, ingest, hook), = [reference_targets(reference_figures())]
    assert dash[2] == "2.00x" and "2.0 vs 1.00 ms (/healthz)" in dash[3]
    assert ingest[2] == "0.40x" and "8,000 vs 20,000 tickets/s" in ingest[3]
    assert hook[2] == "3.00x" and "p99 60.0 vs 20.0 ms (/healthz)" in hook[3]


def test_without_pgbench_the_ingestion_target_is_not_met_and_says_why():
    from app.bench.targets import reference_targets

    figures = reference_figures() | {"ideal_ingest": None}
    _, (_, met, value, measured), _ = reference_targets(figures)
    assert not met and value == "n/a" and "vs n/a tickets/s" in measured


def test_the_absolute_bounds_of_earlier_issues_are_shown_as_information_with_this_runs_figures():
    from app.bench.targets import absolute_rows

    rows = absolute_rows(reference_figures(dashboard_ms=16.0))
    assert "| Tenant dashboard p50 at c=1 | < 15 ms | 16.0 ms | no |" in rows
    assert "| Scoring, one month of every tenant | >= 2,000 tenants/s | 1,000 tenants/s | no |" in rows
    assert "| Ingestion | >= 5,000 tickets/s | 8,000 tickets/s | yes |" in rows
    assert "| Webhook p99 at 50 connections | < 50 ms | 60.0 ms | no |" in rows
