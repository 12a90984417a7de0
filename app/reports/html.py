"""The executive report as one self-contained HTML page: inline CSS, inline SVG, no script, no URL.

The page lays out `Report` (app/reports/content.py) in the order an executive reads it; a section
without data shows `Report.missing`'s sentence. Every text goes through `app.reports.markup.el`,
which escapes it. The one style sheet is a constant, so the Content-Security-Policy allows it by
its hash (`STYLE_HASH`) and nothing else: no 'unsafe-inline', no script, no request.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

from app.reports import svg
from app.reports.content import Report, format_money, format_month, format_when
from app.reports.markup import Markup, el, raw

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:0;background:#f5f7f9}
main{max-width:960px;margin:0 auto;padding:24px 28px 48px;background:#fff}
header{border-bottom:3px solid #1f2933;margin-bottom:12px}
h1{font-size:26px;margin:0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d9dee3}
h3{font-size:15px;margin:16px 0 4px}.sub{color:#6b7785;margin:2px 0 10px}
.score{display:flex;gap:20px;align-items:baseline}.figure{font-size:48px;font-weight:700}
.band{padding:2px 10px;border-radius:10px;font-weight:600}
.GREEN{background:#d3f0dc}.YELLOW{background:#fff0b3}.RED{background:#ffd1cc}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e8ec;vertical-align:top}
th{font-weight:600;color:#3e4c59}td.n,th.n{text-align:right}
figure{margin:8px 0}figcaption{color:#6b7785;font-size:12px}svg.chart{width:100%;height:auto}svg.grid{width:320px}
.tick{font-size:10px;fill:#6b7785}.missing{color:#6b7785;font-style:italic}
.pair{display:flex;gap:24px;flex-wrap:wrap}.pair>div{flex:1 1 300px}
@media print{body{background:#fff}main{padding:0}}
"""
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src '{STYLE_HASH}'; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")


def money(value: Decimal | None, currency: str) -> str:
    """As every rendering writes money (content.format_money); nothing where there is none."""
    return "" if value is None else format_money(value, currency)


def when(stamp: str | None) -> str:
    """As every rendering writes a date or an instant (content.format_when); nothing where there is none."""
    return format_when(stamp) if stamp else ""


def missing(report: Report, section: str) -> Markup:
    return el("p", report.missing(section), class_="missing")


def table(head: list[str], rows: list[list], numeric: tuple[int, ...] = ()) -> Markup:
    """A table whose columns listed in `numeric` align right."""
    def cells(tag: str, values: list) -> list[Markup]:
        return [el(tag, v, class_="n" if i in numeric else None) for i, v in enumerate(values)]

    return el("table", el("thead", el("tr", cells("th", head))), el("tbody", [el("tr", cells("td", r)) for r in rows]))


def section(key: str, title: str, *content) -> Markup:
    """One part of the report, `id` its key (tests and print styles find it by that)."""
    return el("section", el("h2", title), content, id=key)


def score(report: Report) -> Markup:
    s = report.score
    if s is None:
        return section("health", "IT health", missing(report, "score"))
    change = "first scored month" if s.change is None else f"{s.change:+d} since last month"
    trend = svg.chart("Health score, last twelve months", [format_month(m.month, year=False) for m in report.trend],
                      [svg.Series("Score", [m.score for m in report.trend], "#2f6fdf", "line")], top=100)
    components = table(["Component", "Score", "Weight", ""],
                       [[c.name, "" if c.score is None else c.score, f"{c.weight:.0%}", c.explanation]
                        for c in report.components], numeric=(1, 2))
    figure = el("div", el("span", s.score, class_="figure", id="score"), " ",
                el("span", s.band.title(), class_=f"band {s.band}"), " ", el("span", change), class_="score")
    return section("health", "IT health", figure, trend, el("h3", "What makes the score"), components)


def tickets(report: Report) -> Markup:
    if not report.tickets:
        return section("tickets", "Service desk", missing(report, "tickets"))
    target = report.tickets[-1].target
    chart = svg.chart("Tickets per month against the target", [format_month(t.month, year=False) for t in report.tickets],
                      [svg.Series("Tickets", [t.total for t in report.tickets], "#5b8def")], target=("Target", target))
    return section("tickets", "Service desk", chart)


def budget(report: Report) -> Markup:
    b = report.budget
    if b is None:
        return section("budget", "Budget", missing(report, "budget"))
    labels = [format_month(m.month, year=False) for m in b.months]
    chart = svg.chart(f"Fiscal year {b.fiscal_year} by month ({b.currency})", labels, [
        svg.Series("Planned", [m.planned for m in b.months], "#b8c4d0"),
        svg.Series("Actual", [m.actual for m in b.months], "#2f6fdf"),
        svg.Series("Forecast", [m.forecast for m in b.months], "#e39b2d", "line"),
    ])
    forecast = sum((m.forecast for m in b.months), Decimal(0))
    totals = table(["Planned", "Actual to date", "Forecast for the year"],
                   [[money(b.planned, b.currency), money(b.actual, b.currency), money(forecast, b.currency)]], (0, 1, 2))
    return section("budget", "Budget", totals, chart)


def risks(report: Report) -> Markup:
    if not report.risks:
        return section("risks", "Risks", missing(report, "risks"))
    shown = f"The {len(report.risks)} highest of {report.open_risks} open risks."
    rows = [[r.title, r.category.title(), r.status.title(), r.likelihood, r.impact, r.score, r.owner or "", r.decision]
            for r in report.risks]
    listing = table(["Risk", "Category", "Status", "L", "I", "Score", "Owner", "Decision"], rows, (3, 4, 5))
    return section("risks", "Risks", el("p", shown, class_="sub"), svg.risk_grid(report.grid()), listing)


def alignment(report: Report) -> Markup:
    a = report.alignment
    if a is None:
        review = missing(report, "alignment")
    else:
        rows = [[g.section, "" if g.before is None else g.before, g.after] for g in a.sections]
        score_line = f"Alignment score {a.score} in the review completed {when(a.completed_at)}." if a.score is not None \
            else f"Review completed {when(a.completed_at)}."
        review = [el("p", score_line, class_="sub"), table(["Section", "Gaps before", "Gaps now"], rows, (1, 2))]
    if report.lifecycle:
        forecast = svg.chart(f"Replacement cost by quarter ({report.currency})", [q.quarter for q in report.lifecycle],
                             [svg.Series("Replacement cost", [q.replacement_cost for q in report.lifecycle], "#7a5cd6")])
        assets = table(["Quarter", "Assets due", "Replacement cost"],
                       [[q.quarter, q.assets, money(q.replacement_cost, report.currency)] for q in report.lifecycle], (1, 2))
        lifecycle = [forecast, assets]
    else:
        lifecycle = missing(report, "lifecycle")
    return section("alignment", "Alignment and lifecycle", el("h3", "Best-practice alignment"), review,
                   el("h3", "Technology lifecycle"), lifecycle)


def roadmap(report: Report) -> Markup:
    if report.roadmap:
        plan = []
        for q in report.roadmap:
            rows = [[i.title, i.status.title().replace("_", " "), f"{i.target_month:%b %Y}" if i.target_month else "",
                     money(i.one_time_cost, report.currency), i.goal or "", i.kpi or ""] for i in q.initiatives]
            plan += [el("h3", q.quarter, " ", el("span", f"one-time {money(q.one_time_cost, report.currency)}, "
                                                         f"recurring {money(q.recurring_cost_per_year, report.currency)} a year",
                                                 class_="sub")),
                     table(["Initiative", "Status", "Target", "Cost", "Goal", "KPI"], rows, (3,)) if rows
                     else el("p", "Nothing planned this quarter.", class_="missing")]
    else:
        plan = missing(report, "roadmap")
    if report.goals:
        goals = table(["Goal", "Function", "KPI", "Baseline", "Target", "Current", "Status"],
                      [[g.title, g.function or "", g.kpi or "", figure(g.baseline), figure(g.target), figure(g.current),
                        g.status.title().replace("_", " ")] for g in report.goals], (3, 4, 5))
    else:
        goals = missing(report, "goals")
    return section("roadmap", "Roadmap", plan, el("h3", f"Business goals, fiscal year {report.fiscal_year}"), goals)


def figure(value: float | None) -> str:
    return "" if value is None else f"{value:,g}"


def decisions(report: Report) -> Markup:
    taken = table(["Decision", "Kind", "Reason", "Decided", "By", "Until"],
                  [[d.summary, d.kind.title().replace("_", " "), d.reason or "", when(d.decided_at), d.decided_by,
                    when(d.expires_on)] for d in report.decisions]) if report.decisions else missing(report, "decisions")
    items = table(["Action item", "Owner", "Due"], [[a.title, a.owner or "", when(a.due_on)] for a in report.action_items]) \
        if report.action_items else missing(report, "action_items")
    return section("decisions", f"Decisions of {report.month:%B %Y}", taken, el("h3", "Open action items"), items)


def meeting(report: Report) -> Markup:
    m = report.next_meeting
    if m is None:
        return section("meeting", "Next steering meeting", missing(report, "next_meeting"))
    agenda = el("ol", [el("li", item) for item in m.agenda]) if m.agenda else el("p", "No agenda yet.", class_="missing")
    suggested = [el("h3", "Suggested by the register"), el("ul", [el("li", s) for s in m.suggested])] if m.suggested else []
    attendees = el("p", "Attendees: ", ", ".join(m.attendees), class_="sub") if m.attendees else None
    return section("meeting", "Next steering meeting", el("p", when(m.scheduled_at)), attendees, el("h3", "Agenda"), agenda, suggested)


def render_html(report: Report) -> str:
    title = f"{report.tenant}: IT executive report, {report.month:%B %Y}"
    head = el("head", raw('<meta charset="utf-8">'), raw('<meta name="viewport" content="width=device-width, initial-scale=1">'),
              raw('<meta name="referrer" content="no-referrer">'), el("title", title), el("style", raw(STYLE)))
    header = el("header", el("h1", report.tenant, id="tenant"),
                el("p", f"IT executive report, {report.month:%B %Y}", f" · {report.industry}" if report.industry else "",
                   class_="sub"))
    body = el("body", el("main", header, score(report), tickets(report), budget(report), risks(report), alignment(report),
                         roadmap(report), decisions(report), meeting(report)))
    return "<!doctype html>\n" + el("html", head, body, lang="en")
