"""The HTML report's charts, as inline SVG elements (app/reports/markup.py escapes every label).

Colours are presentation attributes, not `style` attributes, so the page's Content-Security-Policy
needs no 'unsafe-inline'. Every chart is a `figure` with a title, and every mark carries its value
in a `title` (the tooltip, and what a screen reader reads).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.reports.markup import Markup, el

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 30
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INK, GRID, MUTED = "#1f2933", "#d9dee3", "#6b7785"
SEVERITY = ("#e6f4ea", "#fff4cc", "#ffd8a8", "#ffb3a7", "#e8625b")  # the 5x5 grid, by likelihood x impact


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | Decimal | None]
    colour: str
    kind: str = "bar"  # "bar" or "line"


def nice_ceiling(value: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten, at least `value` (1 when there is nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def y_of(value: float, top: float) -> float:
    return TOP + PLOT_H - PLOT_H * float(value) / top


def number(value: float | Decimal) -> str:
    return f"{value:,.0f}"


def frame(title: str, marks: list[Markup], labels: Sequence[str], top: float, legend: list[Series]) -> Markup:
    """Axes, grid lines at quarters of `top`, one label per slot under the plot, then the marks."""
    keys = legend_keys(tuple((s.name, s.colour) for s in legend))
    svg = el("svg", el("title", title), grid_lines(top), slot_labels(tuple(labels)), marks, keys,
             viewBox=f"0 0 {WIDTH} {HEIGHT}", role="img", aria_label=title, class_="chart")
    return el("figure", svg, el("figcaption", title))


# A chart's frame is the same for every report of the same months and scale: its parts are kept
# (a few dozen elements each, about a third of the page's).
KEPT = 256


@functools.lru_cache(maxsize=KEPT)
def grid_lines(top: float) -> Markup:
    """A grid line and its value at each quarter of `top`."""
    return Markup("".join(
        el("g", el("line", x1=LEFT, x2=WIDTH - RIGHT, y1=f"{y_of(top * q / 4, top):.1f}", y2=f"{y_of(top * q / 4, top):.1f}",
                   stroke=GRID), el("text", number(top * q / 4), x=LEFT - 6, y=f"{y_of(top * q / 4, top) + 4:.1f}",
                                    text_anchor="end", class_="tick"))
        for q in range(5)))


@functools.lru_cache(maxsize=KEPT)
def slot_labels(labels: tuple[str, ...]) -> Markup:
    """One label under each slot."""
    slot = PLOT_W / len(labels)
    return Markup("".join(el("text", label, x=f"{LEFT + slot * (i + 0.5):.1f}", y=HEIGHT - 10, text_anchor="middle",
                             class_="tick") for i, label in enumerate(labels)))


@functools.lru_cache(maxsize=KEPT)
def legend_keys(legend: tuple[tuple[str, str], ...]) -> Markup:
    """A coloured square and the name of each (name, colour)."""
    return Markup("".join(el("g", el("rect", x=LEFT + 130 * i, y=0, width=10, height=10, fill=colour),
                             el("text", name, x=LEFT + 130 * i + 14, y=9, class_="tick"))
                          for i, (name, colour) in enumerate(legend)))


def bars(series: Sequence[Series], labels: Sequence[str], top: float) -> list[Markup]:
    """Bars side by side in each slot, one per bar series; a None value draws no bar."""
    slot = PLOT_W / len(labels)
    width = slot * 0.7 / max(1, len(series))
    marks = []
    for n, s in enumerate(series):
        for i, value in enumerate(s.values):
            if value is None:
                continue
            height = PLOT_H * float(value) / top
            x = LEFT + slot * i + slot * 0.15 + width * n
            marks.append(el("rect", el("title", f"{labels[i]}: {s.name} {number(value)}"), x=f"{x:.1f}",
                            y=f"{TOP + PLOT_H - height:.1f}", width=f"{width:.1f}", height=f"{height:.1f}",
                            fill=s.colour, class_="bar", data_series=s.name))
    return marks


def line(s: Series, labels: Sequence[str], top: float) -> list[Markup]:
    """A polyline through the values, broken where one is None, with a dot on each."""
    slot = PLOT_W / len(labels)
    points = [(LEFT + slot * (i + 0.5), y_of(v, top), labels[i], v) for i, v in enumerate(s.values) if v is not None]
    runs, run = [], []
    for i, value in enumerate(s.values):
        if value is None:
            runs, run = runs + [run], []
        else:
            run.append(f"{LEFT + slot * (i + 0.5):.1f},{y_of(value, top):.1f}")
    paths = [el("polyline", points=" ".join(r), fill="none", stroke=s.colour, stroke_width=2) for r in runs + [run] if r]
    dots = [el("circle", el("title", f"{label}: {s.name} {number(v)}"), cx=f"{x:.1f}", cy=f"{y:.1f}", r=3.5,
               fill=s.colour, class_="point") for x, y, label, v in points]
    return paths + dots


def chart(title: str, labels: Sequence[str], series: Sequence[Series], top: float | None = None,
          target: tuple[str, float] | None = None) -> Markup:
    """Bars and lines over the same slots, with an optional dashed target line across the plot."""
    values = [float(v) for s in series for v in s.values if v is not None] + ([target[1]] if target else [])
    top = top or nice_ceiling(max(values, default=0))
    marks = bars([s for s in series if s.kind == "bar"], labels, top)
    for s in series:
        if s.kind == "line":
            marks += line(s, labels, top)
    legend = list(series)
    if target:
        y = f"{y_of(target[1], top):.1f}"
        marks.append(el("line", el("title", f"{target[0]} {number(target[1])}"), x1=LEFT, x2=WIDTH - RIGHT, y1=y, y2=y,
                        stroke=INK, stroke_width=1.5, stroke_dasharray="6 4", class_="target"))
        legend.append(Series(target[0], [], INK))
    return frame(title, marks, labels, top, legend)


GRID_CELL, GRID_LEFT, GRID_TOP = 44, 70, 10


def risk_grid(cells: list[list[int]]) -> Markup:
    """The 5x5 likelihood (rows, 5 at the top) by impact (columns) grid, each cell its count of risks."""
    rects = [grid_cell(5 - row, column + 1, count) for row, counts in enumerate(cells) for column, count in enumerate(counts)]
    title = "Open risks by likelihood and impact"
    svg = el("svg", el("title", title), rects, grid_axes(), viewBox=f"0 0 {GRID_LEFT + 5 * GRID_CELL + 10} {GRID_TOP + 5 * GRID_CELL + 40}",
             role="img", aria_label=title, class_="grid")
    return el("figure", svg, el("figcaption", title))


@functools.lru_cache(maxsize=KEPT)
def grid_cell(likelihood: int, impact: int, count: int) -> Markup:
    """One cell, coloured by likelihood x impact, with its count (most cells of most reports are 0)."""
    size = GRID_CELL
    colour = SEVERITY[min(4, (likelihood * impact - 1) // 5)]
    x, y = GRID_LEFT + (impact - 1) * size, GRID_TOP + (5 - likelihood) * size
    return el("g", el("rect", el("title", f"Likelihood {likelihood}, impact {impact}: {count} risks"),
                      x=x, y=y, width=size - 2, height=size - 2, fill=colour, class_="cell",
                      data_likelihood=likelihood, data_impact=impact, data_count=count),
              el("text", count or "", x=x + size / 2 - 1, y=y + size / 2 + 4, text_anchor="middle"))


@functools.cache
def grid_axes() -> Markup:
    """The numbers along both axes and their names: the same on every grid."""
    size, left, top = GRID_CELL, GRID_LEFT, GRID_TOP
    axis = [el("text", n, x=left - 10, y=top + (5 - n) * size + size / 2 + 3, text_anchor="end", class_="tick") for n in range(1, 6)]
    axis += [el("text", n, x=left + (n - 1) * size + size / 2 - 1, y=top + 5 * size + 14, text_anchor="middle", class_="tick")
             for n in range(1, 6)]
    axis += [el("text", "Impact", x=left + 5 * size / 2, y=top + 5 * size + 30, text_anchor="middle", class_="tick"),
             el("text", "Likelihood", x=14, y=top + 5 * size / 2, text_anchor="middle", class_="tick",
                transform=f"rotate(-90 14 {top + 5 * size / 2})")]
    return Markup("".join(axis))
