"""BENCHMARKS.md's section on the Citus cluster: each figure on the cluster over the same on one node."""

from __future__ import annotations

import textwrap

from app.bench.cluster import EVERY_SHARD, FIRST_ENUM, HOPS, READS, ROUTED, path_name

TITLE = "## On a Citus cluster, beside one node (same run)"


def fmt_ratio(cluster: float, single: float) -> str:
    return f"{cluster / single:.2f}x" if single else "n/a"


def row(figure: str, single: float, cluster: float, unit: str, digits: int = 1) -> str:
    return (f"| {figure} | {single:,.{digits}f} {unit} | {cluster:,.{digits}f} {unit} | "
            f"{fmt_ratio(cluster, single)} |")


def section(cluster: dict | None) -> list[str]:
    """The section's lines: the figures, or why there are none (Citus absent, the part failed)."""
    if cluster is None:
        return []
    if "absent" in cluster:
        return [TITLE, "", f"Not measured in this run: {cluster['absent']}.", ""]
    if "failed" in cluster:
        return [TITLE, "", f"Not measured: the cluster part failed in this run ({cluster['failed']}).", ""]
    reads, hops = cluster["reads"], cluster["hops"]
    scoring = {node: s["tenants"] / s["seconds"] for node, s in cluster["scoring"].items()}
    tickets = {node: got.rps * 1000 for node, got in cluster["ingest"].items()}
    rows = ["| figure | one node | cluster | cluster / one node |", "|---|---|---|---|",
            row(f"month-end scoring, {cluster['scoring']['cluster']['tenants']:,} tenants", scoring["single"],
                scoring["cluster"], "tenants/s", 0)]
    for read in READS:
        for single, against in (("single", "compiled reads"), ("single executor", "the executor on both")):
            one, four = (reads[(path_name(read, single), c)] for c in (1, 4))
            c_one, c_four = (reads[(path_name(read, "cluster"), c)] for c in (1, 4))
            rows.append(row(f"{read}, p50 at c=1 ({against})", one.p50, c_one.p50, "ms"))
            rows.append(row(f"{read}, rps at c=4 ({against})", four.rps, c_four.rps, "rps"))
    rows.append(row("ingestTickets, 1,000 a call, 2 connections", tickets["single"], tickets["cluster"], "tickets/s", 0))
    for name in (*HOPS, FIRST_ENUM):
        rows.append(row(f"hop: {name}, p50", hops[name]["single"], hops[name]["cluster"], "ms", 2))
    return [TITLE, "", *wrap(about(cluster)), "", *rows, "", *wrap(findings(cluster, scoring, tickets)), ""]


def wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=100)


def about(cluster: dict) -> str:
    size = cluster["size"]
    return (f"A coordinator and two workers (Citus on PostgreSQL 15, `app/db/embedded.py` `CitusCluster`) against "
            f"one node of the same PostgreSQL build and settings (a database without the extension on the "
            f"coordinator's server), all on this machine's cores; {size.tenants:,} tenants x {size.months} months "
            f"seeded by the bench's generator, the same rows in both (`app/bench/cluster.py`), a CIO granted "
            f"{size.cio_tenants}. Reads through `fcio serve --workers 2` without stored answers; on the cluster the "
            f"dashboard, one tenant's, is one compiled statement routed whole to its worker, and the executor "
            f"answers top risks (its rows are on every worker), so the one node is measured executor-only too. "
            f"The hop: one statement at a time from one connection as the owner. The part took "
            f"{cluster['wall_seconds']:.0f} s ({cluster['setup_seconds']:.0f} s of it starting, seeding and copying).")


def findings(cluster: dict, scoring: dict, tickets: dict) -> str:
    """What the coordinator's hop costs and where scaling out pays, in this run's figures."""
    hops, reads = cluster["hops"], cluster["reads"]
    routed, fanned = hops[ROUTED], hops[EVERY_SHARD]
    top = {server: reads[(path_name("top risks", server), 1)].p50 for server in ("single executor", "cluster")}
    dash = {server: reads[(path_name("tenant dashboard", server), 1)].p50 for server in ("single", "cluster")}
    first = hops[FIRST_ENUM]
    split = {node: s["split"] for node, s in cluster["scoring"].items()}
    return (f"What the hop costs: a statement naming one tenant is routed to its worker for "
            f"{routed['cluster'] - routed['single']:+.2f} ms over one node, one that reads every shard took "
            f"{fmt_ratio(fanned['cluster'], fanned['single'])} ({fanned['cluster']:.1f} ms). A new connection's first "
            f"statement with an enum column took {first['cluster']:,.0f} ms against {first['single']:,.0f} ms. asyncpg "
            f"asks the server about the type then (once per connection and type); with Citus's shard hiding off, "
            f"as the app's connections have it, that statement is cheap on the coordinator too, so what remains is "
            f"the other costs of a new coordinator backend's first statement, not analysed (infra/README.md); the "
            f"reads were warmed past it (each "
            f"path at c=4 first, unmeasured), as a long-running pool is, but a pool that grows pays it per "
            f"connection. The executor's reads fan out "
            f"(its loaders name tenant sets, `tenant_id = ANY(...)`, which Citus sends to every shard holding one "
            f"of them: a CIO's {cluster['size'].cio_tenants} tenants are on every shard): top risks took {fmt_ratio(top['cluster'], top['single executor'])} the one node's executor. The "
            f"dashboard, compiled on both, took {fmt_ratio(dash['cluster'], dash['single'])} on the cluster: one "
            f"statement routed to one worker. Scoring ran at "
            f"{fmt_ratio(scoring['cluster'], scoring['single'])}: it gathered its inputs in {split['cluster']['inputs']:.2f} s "
            f"against {split['single']['inputs']:.2f} s (in batches of one shard group's tenants on the cluster, each "
            f"statement one task on that shard, against batches of 500 on one node: more batches, each of them "
            f"paying the hop and a transaction) and wrote the scores in {split['cluster']['upsert']:.2f} s against "
            f"{split['single']['upsert']:.2f} s. "
            f"Each write commits on every node (the change counters are reference tables: a two-phase commit); "
            f"ingestion ran at {fmt_ratio(tickets['cluster'], tickets['single'])}. Where scaling out pays: nowhere on this machine, "
            f"where three servers share its cores and every figure above is the price of the hop and of the "
            f"distributed work, not a gain. On machines of their own, what names one tenant (a statement routed to "
            f"one worker) adds capacity with each worker for the routed hop's cost, and a tenant's data no longer "
            f"has to fit one machine (scoring's batches are routed so too); what fans out (the executor's reads) pays a round to "
            f"every shard, and every commit pays the reference tables' two-phase commit, which no worker added "
            f"makes cheaper (infra/README.md, \"Running fcio on Citus\").")
