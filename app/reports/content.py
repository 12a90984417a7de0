"""What the executive report holds, in the order an executive reads it: one structure, three renderings.

`report_content` shapes the answer of graphql/operations/executive_report.graphql
(app/reports/gather.py) into `Report`; the HTML, PDF and PPTX
renderers only lay it out, so they never disagree on a figure. Texts stay as users typed them:
each renderer escapes them for its own format. A section whose data is not
there is None (or empty) and `Report.missing` gives the sentence every rendering shows instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.health.formula import ticket_target
from app.lifecycle.actions import quarter_label
from app.months import add_months, parse_month

COMPONENT_NAMES = {
    "tickets": "Service desk", "budget": "Budget", "risks": "Risks", "plan": "IT plan", "steering": "Steering",
    "policies": "Policies", "alignment": "Best practices", "lifecycle": "Technology lifecycle",
}
OPEN_GAPS = ("PARTIAL", "NOT_ALIGNED")
ROADMAP_QUARTERS = 4  # the coming quarters the report shows
MISSING = {
    "score": "No health score has been computed for {month} yet.",
    "components": "No health score has been computed for {month} yet, so no component explains it.",
    "tickets": "No ticket figures were recorded in the twelve months to {month}.",
    "budget": "No IT budget has been set for fiscal year {fiscal_year}.",
    "risks": "No open risks are on the register.",
    "alignment": "No best-practice review has been completed yet.",
    "lifecycle": "No assets reach their replacement date in the coming quarters.",
    "roadmap": "No initiatives are planned for the coming quarters.",
    "goals": "No business goals have been set for fiscal year {fiscal_year}.",
    "decisions": "No decisions were taken in {month}.",
    "action_items": "No action items are open.",
    "next_meeting": "No steering meeting is scheduled.",
}
# The report's sections in the order an executive reads them, with their headings: every rendering
# lays out these, one after the other (the PPTX one slide each). Each part is a key of MISSING.
SECTIONS = (
    ("score", "IT health score", ("score",)),
    ("components", "What makes the score", ("components",)),
    ("tickets", "Service desk", ("tickets",)),
    ("budget", "IT budget", ("budget",)),
    ("risks", "Top risks", ("risks",)),
    ("alignment", "Best practices and technology lifecycle", ("alignment", "lifecycle")),
    ("roadmap", "Roadmap and business goals", ("roadmap", "goals")),
    ("decisions", "Decisions and action items", ("decisions", "action_items")),
    ("next_meeting", "Next steering meeting", ("next_meeting",)),
)
BANDS = {"GREEN": "Healthy", "YELLOW": "Needs attention", "RED": "At risk"}  # app.health.formula.band
BAND_COLORS = {"GREEN": "#15803d", "YELLOW": "#b45309", "RED": "#b91c1c"}
INK = "#1f2937"  # text, and a band without a colour of its own
GRID_COLORS = ("#dcfce7", "#ef4444")  # the risk grid from the least likelihood x impact (1) to the most (25)


@dataclass(frozen=True)
class Score:
    score: int
    band: str
    change: int | None
    formula_version: int


@dataclass(frozen=True)
class Component:
    key: str
    name: str
    score: int | None
    weight: float
    explanation: str


@dataclass(frozen=True)
class MonthScore:
    month: dt.date
    score: int | None


@dataclass(frozen=True)
class TicketMonth:
    month: dt.date
    total: int | None  # None: no figures that month
    target: int


@dataclass(frozen=True)
class BudgetMonth:
    month: dt.date
    planned: Decimal
    actual: Decimal | None
    forecast: Decimal


@dataclass(frozen=True)
class Budget:
    fiscal_year: int
    currency: str
    planned: Decimal
    actual: Decimal
    months: list[BudgetMonth]

    @property
    def forecast(self) -> Decimal:
        """The year's outcome as forecast: the closed months' actuals and the open months' forecast."""
        return sum((m.forecast for m in self.months), Decimal(0))


@dataclass(frozen=True)
class RiskItem:
    title: str
    category: str
    status: str
    likelihood: int
    impact: int
    score: int
    owner: str | None
    decision: str  # the decision it has, or the one it awaits


@dataclass(frozen=True)
class SectionGaps:
    section: str
    before: int | None  # gaps in the review before the latest; None when there was none
    after: int


@dataclass(frozen=True)
class Alignment:
    score: int | None
    completed_at: str
    sections: list[SectionGaps]

    @property
    def gaps(self) -> list[SectionGaps]:
        """The sections with a gap in the latest review or the one before: the ones a reader looks at."""
        return [s for s in self.sections if s.after or s.before]


@dataclass(frozen=True)
class LifecycleQuarter:
    quarter: str
    assets: int
    replacement_cost: Decimal


@dataclass(frozen=True)
class RoadmapItem:
    title: str
    status: str
    target_month: dt.date | None
    one_time_cost: Decimal | None
    goal: str | None
    kpi: str | None


@dataclass(frozen=True)
class RoadmapQuarter:
    quarter: str
    one_time_cost: Decimal
    recurring_cost_per_year: Decimal
    hours_saved_per_month: float
    revenue_at_risk: Decimal
    initiatives: list[RoadmapItem]


@dataclass(frozen=True)
class Goal:
    title: str
    function: str | None
    kpi: str | None
    baseline: float | None
    target: float | None
    current: float | None
    status: str


@dataclass(frozen=True)
class DecisionItem:
    kind: str
    summary: str
    reason: str | None
    decided_at: str
    decided_by: str
    expires_on: str | None


@dataclass(frozen=True)
class ActionItem:
    title: str
    owner: str | None
    due_on: str | None


@dataclass(frozen=True)
class Meeting:
    scheduled_at: str
    attendees: list[str]
    agenda: list[str]  # what the CIO wrote
    suggested: list[str]  # what the register suggests (SteeringMeeting.suggestedAgenda)


@dataclass(frozen=True)
class Report:
    tenant_id: str
    tenant: str
    industry: str | None
    currency: str
    month: dt.date
    fiscal_year: int
    score: Score | None
    components: list[Component]
    trend: list[MonthScore]  # the twelve months to `month`
    tickets: list[TicketMonth]  # the same twelve
    budget: Budget | None
    risks: list[RiskItem]  # the ten highest open ones
    open_risks: int
    alignment: Alignment | None
    lifecycle: list[LifecycleQuarter]
    roadmap: list[RoadmapQuarter]
    goals: list[Goal]
    decisions: list[DecisionItem]  # taken in `month`
    action_items: list[ActionItem]
    next_meeting: Meeting | None

    def has(self, part: str) -> bool:
        """Whether the part (a key of MISSING, named as the field that holds it) has data to show."""
        return bool(getattr(self, part))

    def missing(self, section: str) -> str:
        """The sentence shown instead of a section without data."""
        return MISSING[section].format(month=f"{self.month:%B %Y}", fiscal_year=self.fiscal_year)

    def grid(self) -> list[list[int]]:
        """The listed risks by likelihood (rows, 5 first) and impact (columns, 1 first): the 5x5 grid."""
        cells = [[0] * 5 for _ in range(5)]
        for risk in self.risks:
            cells[5 - risk.likelihood][risk.impact - 1] += 1
        return cells


def format_money(amount: Decimal, currency: str) -> str:
    """Money as every rendering shows it, as the score's sentences write it: "186,971.15 USD"."""
    return f"{amount:,.2f} {currency}"


def format_count(value: float | None) -> str:
    """A count or a measure: "1,204", "31.1"; a dash where there is no figure."""
    if value is None:
        return "\u2013"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def format_change(change: int | None) -> str:
    """The score's change from the month before: "+3", "-2", "no change"; "" when there was no score."""
    if change is None:
        return ""
    return f"{change:+d}" if change else "no change"


def format_month(month: dt.date, year: bool = True) -> str:
    """A month on a chart's axis or in a table: "Nov 2026", or "Nov" where the axis is narrow."""
    return f"{month:%b %Y}" if year else f"{month:%b}"


def format_when(stamp: str) -> str:
    """A date or an instant as the API gives it ("2026-12-03", "2026-12-03T15:00:00+00:00"): "3 Dec 2026, 15:00 UTC"."""
    when = dt.datetime.fromisoformat(stamp)
    if len(stamp) == 10:
        return f"{when.day} {when:%b %Y}"
    return f"{when.day} {when.astimezone(dt.UTC):%b %Y, %H:%M} UTC"


def format_status(status: str) -> str:
    """An enum's value for a reader: "IN_PROGRESS" is "In progress"."""
    return status.replace("_", " ").capitalize()


def grid_color(likelihood: int, impact: int) -> str:
    """A risk grid cell's colour ("#rrggbb"), between GRID_COLORS as likelihood x impact grows."""
    share = (likelihood * impact - 1) / 24
    low, high = (bytes.fromhex(c[1:]) for c in GRID_COLORS)
    return "#" + bytes(round(a + (b - a) * share) for a, b in zip(low, high, strict=True)).hex()


def subtitle(report: Report) -> str:
    """The line under the tenant's name: "Executive IT report – November 2026 – Healthcare"."""
    return " \u2013 ".join(filter(None, ("Executive IT report", f"{report.month:%B %Y}", report.industry)))


def band_label(score: Score) -> str:
    return f"{BANDS.get(score.band, score.band)} ({format_status(score.band)})"


def score_summary(score: Score) -> str:
    change = format_change(score.change)
    return f"IT health score out of 100; {change} since last month." if change else "IT health score out of 100."


def tickets_summary(report: Report) -> str:
    latest = report.tickets[-1]
    if latest.total is None:
        return f"No ticket figures for {latest.month:%B %Y}; the target is {latest.target} a month."
    return f"{format_count(latest.total)} tickets in {latest.month:%B %Y} against a target of {latest.target}."


def budget_summary(budget: Budget) -> str:
    return (f"Fiscal year {budget.fiscal_year}: planned {format_money(budget.planned, budget.currency)}, spent "
            f"{format_money(budget.actual, budget.currency)} so far, forecast {format_money(budget.forecast, budget.currency)} "
            "for the year.")


def risks_summary(report: Report) -> str:
    return f"The {len(report.risks)} highest of {report.open_risks} open risks, by likelihood x impact."


def alignment_summary(alignment: Alignment) -> str:
    score = f"{alignment.score} of 100" if alignment.score is not None else "not scored"
    clear = len(alignment.sections) - len(alignment.gaps)
    return (f"The review completed {format_when(alignment.completed_at[:10])} scores {score}; {clear} of "
            f"{len(alignment.sections)} sections have no gaps in it or the review before.")


def months_to(month: dt.date) -> list[dt.date]:
    """The twelve months that end with `month`."""
    return [add_months(month, n) for n in range(-11, 1)]


def money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def risk_decision(risk: dict) -> str:
    decision = risk["decision"]
    if risk["status"] == "ACCEPTED" and risk["acceptedUntil"]:
        return f"Accepted until {risk['acceptedUntil']}"
    if decision is not None:
        return decision["summary"]
    return "Awaits a decision: mitigate, transfer or accept"


def alignment(reviews: list[dict]) -> Alignment | None:
    """Gaps by section in the latest completed review, beside the one before it."""
    completed = [r for r in reviews if r["status"] == "COMPLETED"]
    if not completed:
        return None

    def gaps(review: dict) -> dict[str, int]:
        found: dict[str, int] = {}
        for answer in review["answers"]:
            found.setdefault(answer["standard"]["section"], 0)
            found[answer["standard"]["section"]] += answer["alignment"] in OPEN_GAPS
        return found

    latest, before = gaps(completed[0]), gaps(completed[1]) if len(completed) > 1 else None
    sections = [SectionGaps(s, None if before is None else before.get(s, 0), n) for s, n in sorted(latest.items())]
    return Alignment(completed[0]["alignmentScore"], completed[0]["completedAt"], sections)


def roadmap_item(i: dict) -> RoadmapItem:
    goal = i["goal"] or {}
    return RoadmapItem(i["title"], i["status"], parse_month(i["targetMonth"]) if i["targetMonth"] else None,
                       money(i["costEstimate"]), goal.get("title"), goal.get("kpi"))


def coming_quarters(quarters: list[dict], month: dt.date, start_month: int) -> list[RoadmapQuarter]:
    """The roadmap's quarters from the one holding the month after `month`, at most ROADMAP_QUARTERS;
    none when none of them holds an initiative. Quarter labels ("2026-Q3") sort as the quarters do."""
    first = quarter_label(add_months(month, 1), start_month)
    found = [RoadmapQuarter(q["quarter"], Decimal(q["oneTimeCost"]), Decimal(q["recurringCostPerYear"]),
                            q["hoursSavedPerMonth"], Decimal(q["revenueAtRisk"]), [roadmap_item(i) for i in q["initiatives"]])
             for q in quarters if q["quarter"] >= first][:ROADMAP_QUARTERS]
    return found if any(q.initiatives for q in found) else []


def report_content(data: dict, month: dt.date, fiscal_year: int) -> Report:
    """`data` is the document's `tenant`; `month` the report's month, in fiscal year `fiscal_year`."""
    health, budget, risks = data["health"], data["budget"], data["risks"]
    scores = {parse_month(h["month"]): h["score"] for h in data["healthHistory"]}
    tickets = {parse_month(t["month"]): t for t in data["ticketMetrics"]}
    target = next(iter(tickets.values()), {}).get("target")
    months = months_to(month)
    meeting = data["nextSteeringMeeting"]
    return Report(
        tenant_id=data["id"], tenant=data["name"], industry=data["industry"], currency=data["currency"],
        month=month, fiscal_year=fiscal_year,
        score=Score(health["score"], health["band"], health["change"], health["formulaVersion"]) if health else None,
        components=[Component(c["key"], COMPONENT_NAMES.get(c["key"], c["key"]), c["score"], c["weight"], c["explanation"])
                    for c in (health or {}).get("components", [])],
        trend=[MonthScore(m, scores.get(m)) for m in months],
        tickets=[TicketMonth(m, tickets[m]["total"] if m in tickets else None, target or ticket_target(data["employeeCount"]))
                 for m in months] if tickets else [],
        budget=Budget(budget["fiscalYear"], budget["currency"], Decimal(budget["planned"]), Decimal(budget["actual"]),
                      [BudgetMonth(parse_month(f["month"]), Decimal(f["planned"]), money(f["actual"]), Decimal(f["forecast"]))
                       for f in budget["forecast"]]) if budget else None,
        risks=[RiskItem(r["title"], r["category"], r["status"], r["likelihood"], r["impact"], r["score"], r["owner"],
                        risk_decision(r)) for r in risks["nodes"]],
        open_risks=risks["totalCount"],
        alignment=alignment(data["reviews"]["nodes"]),
        lifecycle=[LifecycleQuarter(q["quarter"], q["assets"], Decimal(q["replacementCost"]))
                   for q in data["lifecycleForecast"] if q["assets"]],
        roadmap=coming_quarters(data["roadmap"] + data["nextRoadmap"], month, data["fiscalYearStartMonth"]),
        goals=[Goal(g["title"], g["function"], g["kpi"], g["baseline"], g["target"], g["current"], g["status"])
               for g in data["goals"]],
        decisions=[DecisionItem(d["kind"], d["summary"], d["reason"], d["decidedAt"], d["decidedBy"]["name"], d["expiresOn"])
                   for d in data["decisions"]["nodes"] if d["decidedAt"][:7] == f"{month:%Y-%m}"],
        action_items=[ActionItem(a["title"], a["owner"], a["dueOn"])
                      for m in data["steeringMeetings"] for a in m["actionItems"]["nodes"]],
        next_meeting=Meeting(meeting["scheduledAt"], meeting["attendees"], meeting["agenda"],
                             [i["summary"] for i in meeting["suggestedAgenda"]]) if meeting else None,
    )
