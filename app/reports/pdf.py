"""The executive report as a PDF: a few A4 pages, the score up front, then the sections in `SECTIONS` order.

A pure function of the `Report` (reportlab's Platypus flows the sections over the pages). The
output is the same bytes for the same report: reportlab's invariant mode drops the random file
id, and the document's date is the report's month, not the time it was drawn. Every text reaches
the page through `glyphs.paragraph` or `glyphs.drawable`, so nothing a user typed is read as markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from app.reports import charts
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
    risks_summary,
    score_summary,
    subtitle,
    tickets_summary,
)
from app.reports.glyphs import BOLD, FONT, drawable, paragraph

WIDTH = A4[0] - 36 * mm  # the text column
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=charts.DARK)
SMALL = ParagraphStyle("small", BODY, fontSize=8, leading=10)
HEAD = ParagraphStyle("head", SMALL, fontName=BOLD)
TITLE = ParagraphStyle("title", BODY, fontName=BOLD, fontSize=20, leading=24)
SECTION = ParagraphStyle("section", BODY, fontName=BOLD, fontSize=13, leading=16, spaceBefore=10, spaceAfter=4)
PART = ParagraphStyle("part", BODY, fontName=BOLD, fontSize=10, leading=13, spaceBefore=4, spaceAfter=2)
SCORE = ParagraphStyle("score", BODY, fontName=BOLD, fontSize=40, leading=44)
TABLE = TableStyle([
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, charts.DARK), ("LINEBELOW", (0, 1), (-1, -1), 0.3, charts.RULE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
])


def table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    """Rows of plain texts under a header; `widths` are fractions of the text column."""
    cells = [[paragraph(h, HEAD) for h in header]] + [[paragraph(c, SMALL) for c in row] for row in rows]
    return Table(cells, colWidths=[w * WIDTH for w in widths], style=TABLE, repeatRows=1, hAlign="LEFT")


def header(report: Report) -> list[Flowable]:
    """The cover-like top: who and when, the score, its band and change, and the twelve months' trend."""
    top = [paragraph(report.tenant, TITLE), paragraph(subtitle(report), BODY), Spacer(1, 4 * mm)]
    if report.score is None:
        return top + [paragraph(report.missing("score"), BODY)]
    score = report.score
    band = ParagraphStyle("band", BODY, fontName=BOLD, fontSize=12, textColor=colors.HexColor(BAND_COLORS.get(score.band, INK)))
    left = [paragraph(f"{score.score}", SCORE), paragraph(band_label(score), band), paragraph(score_summary(score), SMALL)]
    trend = charts.trend_chart([format_month(m.month, year=False) for m in report.trend], [m.score for m in report.trend],
                               WIDTH * 0.68, 46 * mm)
    layout = Table([[left, trend]], colWidths=[WIDTH * 0.3, WIDTH * 0.7], style=[("VALIGN", (0, 0), (-1, -1), "TOP")])
    return top + [layout]


def components(report: Report) -> list[Flowable]:
    rows = [(c.name, format_count(c.score), f"{c.weight:.0%}", c.explanation) for c in report.components]
    return [table(("Component", "Score", "Weight", "Why"), rows, (0.18, 0.08, 0.08, 0.66))]


def tickets(report: Report) -> list[Flowable]:
    totals = [t.total for t in report.tickets]
    chart = charts.bars_chart([format_month(t.month, year=False) for t in report.tickets], [("Tickets", totals)], WIDTH, 50 * mm,
                              target=("Target", [t.target for t in report.tickets]),
                              marks=[None if n is None else format_count(n) for n in totals])
    return [paragraph(tickets_summary(report), BODY), chart]


def budget(report: Report) -> list[Flowable]:
    b = report.budget
    chart = charts.bars_chart([format_month(m.month, year=False) for m in b.months],
                              [("Planned", [m.planned for m in b.months]), ("Actual", [m.actual for m in b.months])],
                              WIDTH, 50 * mm, target=("Forecast", [m.forecast for m in b.months]))
    return [paragraph(budget_summary(b), BODY), chart]


def risks(report: Report) -> list[Flowable]:
    rows = [(r.title, f"{r.likelihood} x {r.impact} = {r.score}", format_status(r.status), r.owner or "\u2013", r.decision)
            for r in report.risks]
    listed = table(("Risk", "L x I", "Status", "Owner", "Decision"), rows, (0.34, 0.1, 0.1, 0.14, 0.32))
    return [paragraph(risks_summary(report), BODY), charts.grid_chart(report.grid(), 60 * mm), listed]


def alignment(report: Report) -> list[Flowable]:
    rows = [(s.section, format_count(s.before), format_count(s.after)) for s in report.alignment.gaps]
    return [paragraph(alignment_summary(report.alignment), BODY), table(("Section", "Gaps in the review before", "Gaps now"), rows, (0.6, 0.2, 0.2))]


def lifecycle(report: Report) -> list[Flowable]:
    quarters = report.lifecycle
    chart = charts.bars_chart([q.quarter for q in quarters], [("Assets to replace", [q.assets for q in quarters])],
                              WIDTH * 0.6, 40 * mm, marks=[format_count(q.assets) for q in quarters])
    rows = [(q.quarter, format_count(q.assets), format_money(q.replacement_cost, report.currency)) for q in quarters]
    return [KeepTogether([paragraph("Assets reaching their replacement date, by quarter", PART), chart]),
            table(("Quarter", "Assets", "Replacement cost"), rows, (0.3, 0.2, 0.3))]


def roadmap(report: Report) -> list[Flowable]:
    found: list[Flowable] = []
    for q in report.roadmap:
        found.append(paragraph(f"{q.quarter}: one-time {format_money(q.one_time_cost, report.currency)}, recurring "
                               f"{format_money(q.recurring_cost_per_year, report.currency)} a year, "
                               f"{format_count(q.hours_saved_per_month)} hours saved a month", PART))
        if not q.initiatives:
            found.append(paragraph(f"No initiatives are planned in {q.quarter}.", SMALL))
            continue
        rows = [(i.title, format_status(i.status), format_month(i.target_month) if i.target_month else "\u2013",
                 format_money(i.one_time_cost, report.currency) if i.one_time_cost is not None else "\u2013",
                 " \u2013 ".join(filter(None, (i.goal, i.kpi))) or "\u2013") for i in q.initiatives]
        found.append(table(("Initiative", "Status", "Due", "Cost", "Goal and KPI"), rows, (0.3, 0.1, 0.1, 0.15, 0.35)))
    return found


def goals(report: Report) -> list[Flowable]:
    rows = [(g.title, g.function or "\u2013", g.kpi or "\u2013", format_count(g.baseline), format_count(g.target),
             format_count(g.current), format_status(g.status)) for g in report.goals]
    return [paragraph(f"Business goals, fiscal year {report.fiscal_year}", PART),
            table(("Goal", "Function", "KPI", "Baseline", "Target", "Now", "Status"), rows,
                  (0.24, 0.1, 0.3, 0.08, 0.08, 0.08, 0.12))]


def decisions(report: Report) -> list[Flowable]:
    rows = [(format_status(d.kind), d.summary, d.reason or "\u2013", d.decided_by, format_when(d.decided_at[:10]))
            for d in report.decisions]
    return [paragraph(f"Decisions of {report.month:%B %Y}", PART),
            table(("Kind", "Decision", "Reason", "By", "On"), rows, (0.12, 0.34, 0.26, 0.14, 0.14))]


def action_items(report: Report) -> list[Flowable]:
    rows = [(a.title, a.owner or "\u2013", format_when(a.due_on) if a.due_on else "\u2013") for a in report.action_items]
    return [paragraph("Open action items", PART), table(("Action", "Owner", "Due"), rows, (0.6, 0.22, 0.18))]


def next_meeting(report: Report) -> list[Flowable]:
    m = report.next_meeting
    found = [paragraph(format_when(m.scheduled_at), PART),
             paragraph("Attendees: " + (", ".join(m.attendees) or "none invited yet"), BODY),
             paragraph("Agenda", PART)]
    found += [paragraph(f"{n}. {item}", BODY) for n, item in enumerate(m.agenda, 1)] or [paragraph("No agenda yet.", BODY)]
    if m.suggested:
        found += [paragraph("Suggested by the registers", PART)] + [paragraph(f"\u2022 {item}", BODY) for item in m.suggested]
    return found


PARTS: dict[str, Callable[[Report], list[Flowable]]] = {
    "components": components, "tickets": tickets, "budget": budget, "risks": risks, "alignment": alignment,
    "lifecycle": lifecycle, "roadmap": roadmap, "goals": goals, "decisions": decisions, "action_items": action_items,
    "next_meeting": next_meeting,
}


def story(report: Report) -> list[Flowable]:
    """The pages' content: the header, then each section's heading and parts, a part without data as its sentence."""
    found = header(report)
    for key, title, parts in SECTIONS:
        if key == "score":
            continue  # the header holds it
        body = [f for part in parts for f in (PARTS[part](report) if report.has(part) else [paragraph(report.missing(part), BODY)])]
        found.append(KeepTogether([paragraph(title, SECTION), *body[:2]]))
        found += body[2:]
    return found


def footer(report: Report):
    def draw(canvas, doc) -> None:
        canvas.setDateFormatter(lambda *_: f"D:{report.month:%Y%m%d}000000+00'00'")
        canvas.setFont(FONT, 7)
        canvas.setFillColor(charts.MUTED)
        canvas.drawString(18 * mm, 10 * mm, drawable(f"{report.tenant} \u2013 executive IT report, {report.month:%B %Y}"))
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
    return draw


def render_pdf(report: Report) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, invariant=True, title=f"{report.tenant}: executive IT report, {report.month:%B %Y}",
                            author="fcio", subject=f"Executive IT report {report.month:%Y-%m}", lang="en")
    doc.build(story(report), onFirstPage=footer(report), onLaterPages=footer(report))
    return out.getvalue()
