"""The executive report as an editable deck: one 16:9 slide per section of `SECTIONS`, in its order.

A pure function of the `Report`. Charts are native PowerPoint charts (python-pptx's chart API, their
data in the embedded workbook), so a CIO can restyle or edit them: the score trend as a line, the
tickets and the budget as bars with the target or the forecast as a line over them, the gaps by
section and the lifecycle forecast as bars; the risk grid and the lists are tables. python-pptx
escapes every text for XML, so what a user typed is shown as typed. The same report gives the same
bytes: the document's dates are the report's month and `settled` fixes what the libraries stamp
with the time of writing (the zip entries' times, the embedded workbooks' dates).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Sequence

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from app.reports.content import (
    BAND_COLORS,
    INK,
    SECTIONS,
    Report,
    alignment_summary,
    band_label,
    budget_summary,
    format_count,
    format_money,
    format_month,
    format_status,
    format_when,
    grid_color,
    risks_summary,
    score_summary,
    subtitle,
    tickets_summary,
)

TITLE_ONLY = 5  # the default template's "Title Only" layout
ROWS = 15  # the most rows a table shows on a slide
LEFT, TOP, WIDTH, HEIGHT = Inches(0.5), Inches(1.45), Inches(12.33), Inches(5.7)  # the content area
HEADER_FILL = RGBColor.from_string(INK[1:])
STAMPED = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
WORKBOOK_CORE = "docProps/core.xml"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry: what XlsxWriter stamps too


def text_box(slide: Slide, lines: Sequence[str], x, y, width, height, size: int = 14, bold_first: bool = False) -> None:
    """Plain lines, one paragraph each."""
    frame = slide.shapes.add_textbox(x, y, width, height).text_frame
    frame.word_wrap = True
    for n, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold_first and n == 0


def table(slide: Slide, header: Sequence[str], rows: Sequence[Sequence[str]], x, y, width, widths: Sequence[float],
          size: int = 10):
    """A table of plain texts under a dark header row; `widths` are fractions of `width`.

    Past ROWS rows the last one says how many more there are: a slide does not flow onto the next
    as a page does, and the PDF lists them all.
    """
    if len(rows) > ROWS:
        rows = [*rows[:ROWS - 1], (f"\u2026 and {len(rows) - ROWS + 1} more (the PDF lists them all)",) + ("",) * (len(header) - 1)]
    shape = slide.shapes.add_table(len(rows) + 1, len(header), x, y, width, Emu(Pt(size * 2).emu * (len(rows) + 1)))
    for n, fraction in enumerate(widths):
        shape.table.columns[n].width = Emu(int(width * fraction))
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            cell = shape.table.cell(r, c)
            cell.text = value
            cell.text_frame.paragraphs[0].font.size = Pt(size)
            if r == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = HEADER_FILL
    return shape.table


def rgb(color: str) -> RGBColor:
    return RGBColor.from_string(color[1:])


def chart(slide: Slide, kind, categories: Sequence[str], series: Sequence[tuple[str, Sequence]], x, y, width, height,
          number_format: str = "#,##0", lined: int = 0):
    """A native chart; the last `lined` series are drawn as lines over the bars (a combination chart)."""
    data = CategoryChartData(number_format=number_format)
    data.categories = list(categories)
    for name, values in series:
        data.add_series(name, [None if v is None else float(v) for v in values])
    drawn = slide.shapes.add_chart(kind, x, y, width, height, data).chart
    drawn.has_title = False  # the slide's title names it
    drawn.has_legend = len(series) > 1
    if drawn.has_legend:
        drawn.legend.position = XL_LEGEND_POSITION.TOP
        drawn.legend.include_in_layout = False
    drawn.font.size = Pt(11)
    if lined:
        as_lines(drawn, lined)
    return drawn


def as_lines(drawn, count: int) -> None:
    """Move the last `count` series of a bar chart into a line chart on the same axes.

    python-pptx makes one chart type per chart; PowerPoint draws a target over bars as a
    `c:lineChart` beside the `c:barChart` in the plot area, sharing its two axes.
    """
    bars = drawn._chartSpace.plotArea.find(qn("c:barChart"))
    line = OxmlElement("c:lineChart")
    line.extend([valued("c:grouping", "standard"), valued("c:varyColors", "0")])
    for ser in bars.findall(qn("c:ser"))[-count:]:
        for bar_only in ser.findall(qn("c:invertIfNegative")):
            ser.remove(bar_only)
        marker = OxmlElement("c:marker")
        marker.append(valued("c:symbol", "none"))
        ser.find(qn("c:cat")).addprevious(marker)
        ser.append(valued("c:smooth", "0"))  # straight segments: a forecast, not a curve fit
        line.append(ser)
    line.append(valued("c:marker", "1"))
    line.extend(valued("c:axId", axis.get("val")) for axis in bars.findall(qn("c:axId")))
    bars.addnext(line)


def valued(tag: str, value: str):
    """A DrawingML element with its `val` attribute, as most chart settings are written."""
    element = OxmlElement(tag)
    element.set("val", value)
    return element


def score_slide(report: Report, slide: Slide) -> None:
    lines = [subtitle(report)]
    if report.score is None:
        text_box(slide, [*lines, report.missing("score")], LEFT, TOP, WIDTH, Inches(1))
        return
    score = report.score
    text_box(slide, lines, LEFT, TOP, WIDTH, Inches(0.5), size=16)
    big = slide.shapes.add_textbox(LEFT, TOP + Inches(0.6), Inches(3.4), Inches(1.6)).text_frame
    big.text = str(score.score)
    big.paragraphs[0].font.size = Pt(88)
    big.paragraphs[0].font.bold = True
    big.paragraphs[0].font.color.rgb = rgb(BAND_COLORS.get(score.band, INK))
    text_box(slide, [band_label(score), score_summary(score)], LEFT, TOP + Inches(2.4), Inches(3.4), Inches(1.5),
             size=16, bold_first=True)
    trend = chart(slide, XL_CHART_TYPE.LINE_MARKERS, [format_month(m.month) for m in report.trend],
                  [("Score", [m.score for m in report.trend])], LEFT + Inches(3.6), TOP + Inches(0.6), Inches(8.7),
                  HEIGHT - Inches(0.6))
    trend.value_axis.minimum_scale, trend.value_axis.maximum_scale = 0, 100
    trend.plots[0].has_data_labels = True


def components_slide(report: Report, slide: Slide) -> None:
    rows = [(c.name, format_count(c.score), f"{c.weight:.0%}", c.explanation) for c in report.components]
    table(slide, ("Component", "Score", "Weight", "Why"), rows, LEFT, TOP, WIDTH, (0.17, 0.07, 0.07, 0.69), size=11)


def tickets_slide(report: Report, slide: Slide) -> None:
    text_box(slide, [tickets_summary(report)], LEFT, TOP, WIDTH, Inches(0.5))
    drawn = chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, [format_month(t.month) for t in report.tickets],
                  [("Tickets", [t.total for t in report.tickets]), ("Target", [t.target for t in report.tickets])],
                  LEFT, TOP + Inches(0.6), WIDTH, HEIGHT - Inches(0.6), lined=1)
    drawn.plots[0].has_data_labels = True


def budget_slide(report: Report, slide: Slide) -> None:
    b = report.budget
    text_box(slide, [budget_summary(b)], LEFT, TOP, WIDTH, Inches(0.5))
    chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, [format_month(m.month) for m in b.months],
          [("Planned", [m.planned for m in b.months]), ("Actual", [m.actual for m in b.months]),
           ("Forecast", [m.forecast for m in b.months])],
          LEFT, TOP + Inches(0.6), WIDTH, HEIGHT - Inches(0.6), number_format="#,##0.00", lined=1)


def risks_slide(report: Report, slide: Slide) -> None:
    text_box(slide, [risks_summary(report)], LEFT, TOP, WIDTH, Inches(0.5))
    rows = [[str(5 - n)] + [str(count) if count else "" for count in counts] for n, counts in enumerate(report.grid())]
    grid = table(slide, ("Likelihood \\ impact", "1", "2", "3", "4", "5"), rows, LEFT, TOP + Inches(0.6), Inches(4),
                 (0.3, 0.14, 0.14, 0.14, 0.14, 0.14), size=12)
    for row in range(5):
        for column in range(5):
            cell = grid.cell(row + 1, column + 1)
            cell.fill.solid()
            cell.fill.fore_color.rgb = rgb(grid_color(5 - row, column + 1))
    listed = [(r.title, f"{r.likelihood} x {r.impact} = {r.score}", r.owner or "\u2013", r.decision) for r in report.risks]
    table(slide, ("Risk", "L x I", "Owner", "Decision"), listed, LEFT + Inches(4.3), TOP + Inches(0.6), Inches(8),
          (0.38, 0.14, 0.16, 0.32), size=9)


def alignment_slide(report: Report, slide: Slide) -> None:
    half = Inches(6)
    if report.has("alignment"):
        sections = report.alignment.gaps
        text_box(slide, [alignment_summary(report.alignment)], LEFT, TOP, half, Inches(0.8), size=12)
        if sections:
            gaps = chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, [s.section for s in sections],
                         [("Gaps in the review before", [s.before for s in sections]), ("Gaps now", [s.after for s in sections])],
                         LEFT, TOP + Inches(0.9), half, HEIGHT - Inches(0.9))
            gaps.category_axis.reverse_order = True  # the first section at the top, as in a list
            gaps.value_axis.major_unit = 1
    else:
        text_box(slide, [report.missing("alignment")], LEFT, TOP, half, Inches(1))
    x = LEFT + half + Inches(0.3)
    if report.has("lifecycle"):
        text_box(slide, ["Assets reaching their replacement date, by quarter:"], x, TOP, half, Inches(0.5))
        quarters = report.lifecycle
        drawn = chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, [q.quarter for q in quarters],
                      [("Assets to replace", [q.assets for q in quarters])], x, TOP + Inches(0.6), half, Inches(3.2))
        drawn.plots[0].has_data_labels = True
        rows = [(q.quarter, format_count(q.assets), format_money(q.replacement_cost, report.currency)) for q in quarters]
        table(slide, ("Quarter", "Assets", "Replacement cost"), rows, x, TOP + Inches(4), half, (0.3, 0.2, 0.5))
    else:
        text_box(slide, [report.missing("lifecycle")], x, TOP, half, Inches(1))


def roadmap_slide(report: Report, slide: Slide) -> None:
    wide, narrow = Inches(7.4), Inches(4.6)
    if report.has("roadmap"):
        rows = [(q.quarter, i.title, format_status(i.status),
                 format_money(i.one_time_cost, report.currency) if i.one_time_cost is not None else "\u2013",
                 " \u2013 ".join(filter(None, (i.goal, i.kpi))) or "\u2013")
                for q in report.roadmap for i in q.initiatives]
        table(slide, ("Quarter", "Initiative", "Status", "Cost", "Goal and KPI"), rows, LEFT, TOP, wide,
              (0.11, 0.3, 0.12, 0.15, 0.32), size=8)
    else:
        text_box(slide, [report.missing("roadmap")], LEFT, TOP, wide, Inches(1))
    x = LEFT + wide + Inches(0.3)
    if report.has("goals"):
        rows = [(g.title, g.kpi or "\u2013", f"{format_count(g.baseline)} \u2192 {format_count(g.target)}",
                 format_count(g.current), format_status(g.status)) for g in report.goals]
        table(slide, ("Goal", "KPI", "Baseline \u2192 target", "Now", "Status"), rows, x, TOP, narrow,
              (0.26, 0.3, 0.16, 0.1, 0.18), size=8)
    else:
        text_box(slide, [report.missing("goals")], x, TOP, narrow, Inches(1))


def decisions_slide(report: Report, slide: Slide) -> None:
    half = Inches(6)
    if report.has("decisions"):
        rows = [(format_status(d.kind), d.summary, d.decided_by, format_when(d.decided_at[:10])) for d in report.decisions]
        table(slide, ("Kind", "Decision", "By", "On"), rows, LEFT, TOP, half, (0.16, 0.5, 0.17, 0.17))
    else:
        text_box(slide, [report.missing("decisions")], LEFT, TOP, half, Inches(1))
    x = LEFT + half + Inches(0.3)
    if report.has("action_items"):
        rows = [(a.title, a.owner or "\u2013", format_when(a.due_on) if a.due_on else "\u2013") for a in report.action_items]
        table(slide, ("Open action item", "Owner", "Due"), rows, x, TOP, half, (0.56, 0.24, 0.2))
    else:
        text_box(slide, [report.missing("action_items")], x, TOP, half, Inches(1))


def next_meeting_slide(report: Report, slide: Slide) -> None:
    m = report.next_meeting
    if m is None:
        text_box(slide, [report.missing("next_meeting")], LEFT, TOP, WIDTH, Inches(1))
        return
    lines = [format_when(m.scheduled_at), "Attendees: " + (", ".join(m.attendees) or "none invited yet"), "Agenda:"]
    lines += [f"{n}. {item}" for n, item in enumerate(m.agenda, 1)] or ["No agenda yet."]
    if m.suggested:
        lines += ["Suggested by the registers:"] + [f"\u2022 {item}" for item in m.suggested]
    text_box(slide, lines, LEFT, TOP, WIDTH, HEIGHT, size=14, bold_first=True)


def single(part: str, draw: Callable[[Report, Slide], None]) -> Callable[[Report, Slide], None]:
    """A slide of one part: drawn when it has data, else its sentence."""
    def slide_of(report: Report, slide: Slide) -> None:
        if report.has(part):
            draw(report, slide)
        else:
            text_box(slide, [report.missing(part)], LEFT, TOP, WIDTH, Inches(1))
    return slide_of


SLIDES: dict[str, Callable[[Report, Slide], None]] = {
    "score": score_slide, "components": single("components", components_slide),
    "tickets": single("tickets", tickets_slide), "budget": single("budget", budget_slide),
    "risks": single("risks", risks_slide), "alignment": alignment_slide, "roadmap": roadmap_slide,
    "decisions": decisions_slide, "next_meeting": next_meeting_slide,
}


def settled(deck: bytes, when: dt.datetime) -> bytes:
    """The deck with every zip entry dated `when` and its charts' workbooks created and modified `when`.

    python-pptx stamps each entry with the time of writing and XlsxWriter each workbook's
    properties; fixing both makes the bytes a function of the report alone.
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def workbook(name: str, blob: bytes) -> bytes:
        return STAMPED.sub(rb"\g<1>" + stamp + rb"\g<2>", blob) if name == WORKBOOK_CORE else blob

    def part(name: str, blob: bytes) -> bytes:
        return rewritten(blob, workbook, ZIP_EPOCH) if name.endswith(".xlsx") else blob

    return rewritten(deck, part, when.timetuple()[:6])


def rewritten(archive: bytes, change: Callable[[str, bytes], bytes], date_time: tuple) -> bytes:
    """A zip archive with each entry's content passed through `change` and its time set to `date_time`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(zipfile.ZipInfo(entry.filename, date_time), change(entry.filename, source.read(entry)),
                            zipfile.ZIP_DEFLATED)
    return out.getvalue()


def render_pptx(report: Report) -> bytes:
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    when = dt.datetime.combine(report.month, dt.time())
    core = deck.core_properties
    core.title = f"{report.tenant}: executive IT report, {report.month:%B %Y}"
    core.subject, core.author, core.last_modified_by = f"Executive IT report {report.month:%Y-%m}", "fcio", "fcio"
    core.created = core.modified = when
    core.revision = 1
    for key, title, _ in SECTIONS:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = f"{report.tenant} \u2013 {title}" if key == "score" else title
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(30)
        SLIDES[key](report, slide)
    out = io.BytesIO()
    deck.save(out)
    return settled(out.getvalue(), when)
