"""bench-latency.png: every read path's p50 and throughput at c=1 and c=4."""

from __future__ import annotations

from pathlib import Path

from app.bench.workloads import PEER


def draw(results: dict, plot: Path) -> None:
    """p50 and throughput of every path at c=1 and c=4 on log scales (they span 100x), with the
    ideal statements' as black marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reads = results["reads"]
    names = sorted({name for name, _ in reads})
    colours = plt.get_cmap("tab20").colors
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    xs = [1, 4]
    for n, name in enumerate(names):
        style = dict(linestyle="--" if name == PEER else "-", marker="o", color=colours[n % len(colours)], label=name)
        axes[0].plot(xs, [reads[(name, c)].p50 for c in xs], **style)
        axes[1].plot(xs, [reads[(name, c)].rps for c in xs], **style)
    for title, ideal, marker in (("top risks", results["ideal"], "x"), ("portfolio", results["ideal_portfolio"], "+")):
        points = [c for c in xs if ideal.get(c)]
        axes[0].scatter(points, [ideal[c]["p50_ms"] for c in points], marker=marker, color="black")
        axes[1].scatter(points, [ideal[c]["tps"] for c in points], marker=marker, color="black",
                        label=f"ideal SQL, {title} (pgbench)")
    axes[0].set(title="p50 latency", xlabel="concurrency", ylabel="ms", xticks=xs, yscale="log")
    axes[1].set(title="throughput", xlabel="concurrency", ylabel="requests/s", xticks=xs, yscale="log")
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    fig.savefig(plot, dpi=110)
    plt.close(fig)
