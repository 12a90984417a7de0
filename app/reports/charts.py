"""The PDF's charts, drawn as vectors (reportlab graphics): the score trend, bars against a line, the risk grid.

Every label is text in the font the page uses, so the figures on a chart are in the PDF's text as
well. Texts reach a chart through `glyphs.drawable` only; the PPTX draws native charts instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

from app.reports.content import INK, grid_color
from app.reports.glyphs import BOLD, FONT, drawable

DARK = colors.HexColor(INK)
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#e5e7eb")
SERIES = (colors.HexColor("#2563eb"), colors.HexColor("#f59e0b"), colors.HexColor("#10b981"))
TARGET = colors.HexColor("#dc2626")
LEFT, BOTTOM, TOP = 34, 18, 14  # room for the value axis, the month labels and the legend
GRIDLINES = 5  # a top of 1, 2 or 5 times a power of ten divides into round steps

Figure = int | float | Decimal | None


def nice_top(values: Sequence[Figure]) -> float:
    """The value axis's top: the largest figure with room for its label, rounded up to 1, 2 or 5 times a power of ten."""
    largest = max((float(v) for v in values if v is not None), default=0.0) * 1.1
    if largest <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= largest)


def label(x: float, y: float, text: str, size: float = 7, anchor: str = "middle", color=DARK, bold: bool = False) -> String:
    return String(x, y, drawable(text), fontName=BOLD if bold else FONT, fontSize=size, fillColor=color, textAnchor=anchor)


class Frame:
    """A chart's plotting area: months (or quarters) across, figures up, a legend above."""

    def __init__(self, width: float, height: float, labels: Sequence[str], top: float, axis: str):
        self.drawing = Drawing(width, height)
        self.width, self.height, self.top = width - LEFT - 4, height - BOTTOM - TOP, top
        self.step = self.width / max(len(labels), 1)
        for n in range(GRIDLINES + 1):
            y = BOTTOM + self.height * n / GRIDLINES
            self.drawing.add(Line(LEFT, y, LEFT + self.width, y, strokeColor=RULE, strokeWidth=0.5))
            self.drawing.add(label(LEFT - 3, y - 2, axis.format(top * n / GRIDLINES), 6, "end", MUTED))
        for n, text in enumerate(labels):
            self.drawing.add(label(self.x(n), 5, text, 6, color=MUTED))

    def x(self, n: int) -> float:
        return LEFT + self.step * (n + 0.5)

    def y(self, value: Figure) -> float:
        return BOTTOM + self.height * float(value) / self.top

    def legend(self, entries: Sequence[tuple[str, object]]) -> None:
        x = LEFT
        for name, color in entries:
            self.drawing.add(Rect(x, self.height + BOTTOM + 5, 7, 7, fillColor=color, strokeColor=None))
            self.drawing.add(label(x + 10, self.height + BOTTOM + 6, name, 7, "start"))
            x += 16 + 4.2 * len(name)

    def line(self, values: Sequence[Figure], color, dots: bool) -> None:
        """A line through the figures, broken where a month has none; dots with their figures if `dots`."""
        run: list[float] = []
        for n, value in enumerate([*values, None]):
            if value is not None:
                run += [self.x(n), self.y(value)]
                continue
            if len(run) > 2:
                self.drawing.add(PolyLine(run, strokeColor=color, strokeWidth=1.5))
            run = []
        for n, value in enumerate(values):
            if dots and value is not None:
                self.drawing.add(Circle(self.x(n), self.y(value), 2.2, fillColor=color, strokeColor=None))
                self.drawing.add(label(self.x(n), self.y(value) + 4, f"{value:,}", 7, bold=True))

    def bars(self, series: Sequence[Sequence[Figure]], marks: Sequence[str | None] = ()) -> None:
        """Grouped bars, one group a month; `marks` are the figures printed over the first series' bars."""
        width = self.step * 0.8 / len(series)
        for s, values in enumerate(series):
            for n, value in enumerate(values):
                if value is not None and value > 0:
                    left = self.x(n) - self.step * 0.4 + width * s
                    self.drawing.add(Rect(left, BOTTOM, width, self.y(value) - BOTTOM, fillColor=SERIES[s], strokeColor=None))
        for n, mark in enumerate(marks):
            if mark is not None:
                top = max(self.y(v[n]) for v in series if v[n] is not None)
                self.drawing.add(label(self.x(n), top + 2, mark, 6.5))


def trend_chart(labels: Sequence[str], scores: Sequence[int | None], width: float, height: float) -> Drawing:
    frame = Frame(width, height, labels, 100, "{:.0f}")
    frame.line(scores, SERIES[0], dots=True)
    return frame.drawing


def bars_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[Figure]]], width: float, height: float,
               target: tuple[str, Sequence[Figure]] | None = None, marks: Sequence[str | None] = (),
               axis: str = "{:,.0f}") -> Drawing:
    """Bars for each series (up to three), and a target or forecast line over them."""
    lined = list(target[1]) if target else []
    frame = Frame(width, height, labels, nice_top([v for _, values in series for v in values] + lined), axis)
    frame.bars([values for _, values in series], marks)
    if target:
        frame.line(target[1], TARGET, dots=False)
    frame.legend([(name, SERIES[n]) for n, (name, _) in enumerate(series)] + ([(target[0], TARGET)] if target else []))
    return frame.drawing


def grid_chart(cells: list[list[int]], size: float) -> Drawing:
    """The 5x5 grid: likelihood up (5 at the top), impact across, each cell's count of risks, redder as L x I grows."""
    cell = (size - 24) / 5
    drawing = Drawing(size, size)
    for row, counts in enumerate(cells):
        likelihood = 5 - row
        for column, count in enumerate(counts):
            impact, x, y = column + 1, 24 + column * cell, 12 + (4 - row) * cell
            fill = colors.HexColor(grid_color(likelihood, impact))
            drawing.add(Rect(x, y, cell, cell, fillColor=fill, strokeColor=colors.white, strokeWidth=1))
            if count:
                drawing.add(label(x + cell / 2, y + cell / 2 - 4, str(count), 11, bold=True))
        drawing.add(label(18, 12 + (4 - row) * cell + cell / 2 - 2, str(likelihood), 7, "end", MUTED))
    for column in range(5):
        drawing.add(label(24 + column * cell + cell / 2, 3, str(column + 1), 7, color=MUTED))
    drawing.add(label(24 + 2.5 * cell, size - 8, "Likelihood (up) by impact (across)", 7, color=MUTED))
    return drawing
