"""The documents hypothesis writes: over every field and argument the compiler accepts.

Any subset of fields in any order, aliases (also named like another field), fields asked twice
with other arguments, arguments as literals, variables or variable defaults, another operation
beside the one named, and values at the edges the resolvers treat specially (page sizes 0 and
200, empty and duplicate status lists, minScore outside 1..25, fiscal years outside the budget
range, ticket ranges of 120 months, open-ended and far meeting ranges, cursors of the list, of
another search or forged, ids of other tenants, types and practices). A document that holds
something the compiler refuses says why (`Document.refused`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from hypothesis import strategies as st

from app.api import ids, pagination
from app.api.limits import refusal
from app.months import add_months
from tests.api.generated_scene import Scene, Viewer


class Enum(str):
    """An enum value: a bare name as a literal, a string in the variables."""


OMIT = object()


def literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def plain(value):
    return [plain(v) for v in value] if isinstance(value, list) else str(value) if isinstance(value, Enum) else value


def months(low: int = 2014, high: int = 2037):
    interesting = ["2016-06", "2016-07", "2025-06", "2025-10", "2025-12", "2026-01", "2026-02", "2026-04", "2026-05",
                   "2026-06", "2026-07", "2026-11", "2027-01"]
    return st.one_of(st.sampled_from(interesting),
                     st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(low, high), st.integers(1, 12)))


def enums(*names: str):
    return st.sampled_from([Enum(n) for n in names])


RISK_STATUSES = ("OPEN", "MITIGATING", "ACCEPTED", "CLOSED")
INITIATIVE_STATUSES = ("PROPOSED", "APPROVED", "IN_PROGRESS", "DONE", "DEFERRED", "CANCELLED")
# Page sizes the resolvers accept only. One they refuse (-1, 201) sends the request to the
# executor, which test_compiled_reads.py checks on its own; test_sibling_errors.py checks that the
# error it raises beside lists still loading is answered.
PAGE_SIZES = st.one_of(st.integers(0, 6), st.sampled_from([50, 199, 200]))

TENANT_SCALARS = ("id", "version", "name", "slug", "industry", "employeeCount", "fiscalYearStartMonth", "currency")
HEALTH = ("month", "score", "band", "change", "formulaVersion", "computedAt")
COMPONENT = ("key", "score", "weight", "explanation")
RISK_FIELDS = ("id", "version", "title", "category", "status", "likelihood", "impact", "score", "owner", "reviewDue",
               "mitigation", "treatment", "description", "acceptedUntil")
INITIATIVE_FIELDS = ("id", "version", "title", "status", "priority", "targetMonth", "costEstimate", "recurringCostPerYear",
                     "hoursSavedPerMonth", "revenueAtRisk", "description")
VENDOR_FIELDS = ("id", "version", "name", "relationship", "annualCost", "contractEnd")
POLICY_FIELDS = ("kind", "status", "approvedOn", "reviewIntervalMonths", "reviewDue", "documentUrl", "version")
BUDGET_FIELDS = ("fiscalYear", "currency", "planned", "actual", "firstMonth", "lastMonth")
BUDGET_LINE_FIELDS = ("id", "version", "name", "kind", "category", "planned", "actual")
TICKET_FIELDS = ("month", "support", "change", "alert", "total", "target")
MEETING_FIELDS = ("id", "version", "scheduledAt", "status", "attendees", "agenda", "decisions")
ACTION_ITEM_FIELDS = ("version", "title", "owner", "dueOn", "status")
DECISION_FIELDS = ("id", "kind", "summary", "reason", "decidedAt", "expiresOn")
GOAL_FIELDS = ("id", "version", "title", "fiscalYear", "function", "kpi", "baseline", "target", "current", "status")
REVIEW_FIELDS = ("id", "version", "status", "startedAt", "completedAt", "alignmentScore")
STANDARD_FIELDS = ("id", "version", "section", "title", "question", "whyItMatters", "priority", "active")
LIFECYCLE_QUARTER_FIELDS = ("quarter", "assets", "replacementCost")
PAGE_INFO = ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")
# Fields of these types the compiler does not build: asking one sends the document to the executor.
FORECAST_FIELDS = ("month", "planned", "actual", "forecast")
ROADMAP_QUARTER_FIELDS = ("quarter", "oneTimeCost", "recurringCostPerYear", "hoursSavedPerMonth", "revenueAtRisk")
NOT_COMPILED = {"Query": {"me": " { name }"},
                "BudgetLine": {"vendor": " { name }", "spend": " { month amount }"},
                "SteeringMeeting": {"suggestedAgenda": " { kind subject { id } }", "decisionsTaken": " { summary }"},
                "Initiative": {"findings": " { id }"}}
ALIASES = ("a", "b2", "_x", "id", "name", "node", "cursor", "total", "score", "nodes")


@dataclass
class Document:
    query: str
    variables: dict
    operation_name: str | None
    refused: list[str]  # why the compiler must leave it to the executor (empty: it must compile it)

    def __repr__(self) -> str:
        return (f"\n{self.query}\nvariables: {json.dumps(self.variables, ensure_ascii=False)}\n"
                f"operationName: {self.operation_name}\nrefused: {self.refused}")


@dataclass
class Writer:
    """Writes one document from hypothesis' draws, noting what the compiler must refuse."""

    draw: Callable
    viewer: Viewer
    scene: Scene
    definitions: list[str] = field(default_factory=list)
    variables: dict = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reached: bool = True  # False inside a selection the compiler never walks (a tenant the viewer does not see)
    aliases: int = 0

    def rarely(self, odds: int) -> bool:
        """True about once in `odds` + 1 draws (and never once shrunk: hypothesis shrinks towards 0)."""
        return self.draw(st.integers(0, odds)) == odds // 2 + 1

    def refuse(self, why: str, *, everywhere: bool = False) -> None:
        if self.reached or everywhere:
            self.refused.append(why)

    @contextmanager
    def unreached(self, condition: bool):
        before, self.reached = self.reached, self.reached and not condition
        yield
        self.reached = before

    # arguments --------------------------------------------------------------------------------

    def arguments(self, *specs: tuple[str, str, object]) -> str:
        """`(name: value, ...)` of (name, GraphQL type, value or OMIT), as literals or variables, in any order."""
        given = [(n, t, v) for n, t, v in specs if v is not OMIT]
        given = self.draw(st.permutations(given)) if len(given) > 1 else given
        parts = [f"{name}: {self.value(gql_type, value)}" for name, gql_type, value in given]
        return f"({', '.join(parts)})" if parts else ""

    def value(self, gql_type: str, value) -> str:
        how = self.draw(st.sampled_from(["literal", "literal", "variable", "default"]))
        if how == "literal":
            return literal(value)
        name = f"v{len(self.definitions)}"
        if how == "default":
            self.definitions.append(f"${name}: {gql_type} = {literal(value)}")
        else:
            self.definitions.append(f"${name}: {gql_type}")
            self.variables[name] = plain(value)
        return f"${name}"

    def optional(self, values, refused=None):
        """An optional argument's value: left out, null, a value, or rarely one the resolver refuses."""
        if refused is not None and self.rarely(30):
            return self.draw(refused)
        return self.draw(st.one_of(st.just(OMIT), st.none(), values, values))

    # selections -------------------------------------------------------------------------------

    def selection(self, type_name: str, options: dict[str, Callable[[], str]], most: int = 6) -> str:
        """`{ ... }`: some of `options` (field name -> its arguments and selection) in any order, maybe
        aliased, some asked twice; rarely with something the compiler refuses."""
        draw = self.draw
        names = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=min(most, len(options)),
                              unique=True))
        fields, keys = [], set()
        for name in names:
            for _ in range(2 if self.rarely(7) else 1):
                key = name
                if key in keys or (self.aliases < 24 and self.rarely(5)):
                    if self.aliases >= 28:
                        break
                    key = next(k for k in (draw(st.sampled_from(ALIASES)), *(f"k{n}" for n in range(99)))
                               if k not in keys and k not in names)
                    self.aliases += 1
                keys.add(key)
                fields.append(f"{'' if key == name else key + ': '}{name}{options[name]()}")
        if self.rarely(80):
            self.spoil(type_name, fields)
        return "{ " + " ".join(fields) + " }"

    def spoil(self, type_name: str, fields: list[str]) -> None:
        """Something valid that the compiler does not build, in this selection."""
        how = self.draw(st.sampled_from(["typename", "fragment", "inline", "directive", "repeat", "field"]))
        at = self.draw(st.integers(0, len(fields) - 1))
        if how == "field" and type_name not in NOT_COMPILED:
            how = "repeat"
        self.refuse(how)
        if how == "typename":
            fields.insert(at, "__typename")
        elif how == "fragment":
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {type_name} {{ {fields[at]} }}")
            fields[at] = f"...{name}"
        elif how == "inline":
            fields[at] = f"... on {type_name} {{ {fields[at]} }}" if self.draw(st.booleans()) else f"... {{ {fields[at]} }}"
        elif how == "directive":
            head, brace, rest = fields[at].partition(" {")
            directive = self.draw(st.sampled_from(["@include(if: true)", "@skip(if: false)", "@include(if: false)"]))
            fields[at] = f"{head} {directive}{brace}{rest}"
        elif how == "repeat":
            fields.insert(at, fields[at])
        else:
            name, rest = self.draw(st.sampled_from(sorted(NOT_COMPILED[type_name].items())))
            fields.insert(at, name + rest)

    def scalars(self, names) -> dict[str, Callable[[], str]]:
        return {n: (lambda: "") for n in names}

    def connection(self, type_name: str, node: Callable[[], str]) -> str:
        page_info = lambda: " " + self.selection("PageInfo", self.scalars(PAGE_INFO))  # noqa: E731
        edge = lambda: " " + self.selection(f"{type_name}Edge", {"cursor": lambda: "", "node": node})  # noqa: E731
        return " " + self.selection(f"{type_name}Connection", {
            "totalCount": lambda: "", "pageInfo": page_info, "edges": edge, "nodes": node,
        })

    # Query --------------------------------------------------------------------------------------

    def query(self) -> Document:
        options = {"tenants": self.tenants, "tenant": self.tenant, "portfolio": self.portfolio,
                   **self.not_compiled("Query")}
        body = self.selection("Query", options, most=3)
        named = bool(self.definitions) or self.rarely(4)
        if named:
            heads = "query Generated" + (f"({', '.join(self.definitions)})" if self.definitions else "")
        else:
            heads = "query" if self.draw(st.booleans()) else ""
        others = []
        if named and self.rarely(6):  # another operation in the document: the request names the one to run
            others.append(self.draw(st.sampled_from(["query Other { me { name } }", "mutation Other { __typename }"])))
        if self.rarely(6):
            self.variables["unused"] = 1  # a variable no operation declares is ignored
        text = " ".join([*self.draw(st.permutations([f"{heads} {body}".strip(), *others])), *self.fragments])
        operation = "Generated" if others or (named and self.rarely(3)) else None
        return Document(text, self.variables, operation, self.refused)

    def not_compiled(self, type_name: str) -> dict[str, Callable[[], str]]:
        """Rarely offered: fields of the type that the compiler does not build."""
        if not self.rarely(40):
            return {}
        out = {}
        for name, rest in NOT_COMPILED.get(type_name, {}).items():
            out[name] = lambda rest=rest, name=name: self.refuse(name) or rest
        return out

    def tenants(self) -> str:
        search = self.optional(self.searches())
        first = self.optional(PAGE_SIZES)
        after = self.optional(self.tenant_cursors(None if search is OMIT else search), st.just("eHl6OjE="))
        if isinstance(after, str) and pagination.cursor_position(after, self.viewer.tenants_token(
                None if search is OMIT else search)) is None:
            self.refuse("a cursor of another list")
        args = self.arguments(("search", "String", search), ("first", "Int", first), ("after", "String", after))
        return args + self.connection("Tenant", lambda: " " + self.tenant_selection())

    def searches(self):
        @st.composite
        def part_of_a_name(draw):
            name = draw(st.sampled_from(self.scene.names))
            start = draw(st.integers(0, len(name) - 1))
            return name[start:draw(st.integers(start, len(name)))]

        return st.one_of(part_of_a_name(), st.sampled_from(["%", "_", "\\", "  ", "", "E", "zz", "ë", "🚀", "'", '"',
                                                            " co ", "a" * 120]))

    def tenant_cursors(self, search):
        @st.composite
        def cursor(draw):
            other = self.draw(self.searches()) if self.rarely(10) else search
            position = -1 if self.rarely(20) else draw(st.integers(0, len(self.viewer.tenant_ids) + 1))
            return pagination.encode_cursor(self.viewer.tenants_token(other), position)

        return cursor()

    def tenant(self) -> str:
        visible = self.viewer.visible
        key = self.draw(st.one_of(st.sampled_from(visible), st.sampled_from(visible),
                                  st.sampled_from(self.scene.tenant_ids), st.sampled_from(self.scene.other_ids)))
        args = self.arguments(("id", "ID!", key))
        decoded = ids.decode_as(key, "Tenant")
        with self.unreached(decoded is None or decoded.id not in self.viewer.tenant_ids):
            return args + " " + self.tenant_selection()

    def portfolio(self) -> str:
        if self.viewer.name == "executive":
            self.refuse("the portfolio is for staff (the executor answers FORBIDDEN)")
        args = self.arguments(("month", "Month", self.month(False)))
        row = lambda: " " + self.selection("PortfolioRow", {  # noqa: E731
            **self.scalars(("openHighRisks", "ticketsLastMonth", "ticketTarget", "budgetVariancePercent")),
            "tenant": lambda: " " + self.tenant_selection(), "health": self.score,
            "nextSteeringMeeting": lambda: " " + self.meeting(),
        })
        return args + " " + self.selection("Portfolio", {**self.scalars(("month", "tenantCount", "averageScore")),
                                                          "rows": row})

    # Tenant -------------------------------------------------------------------------------------

    def tenant_selection(self) -> str:
        return self.selection("Tenant", {
            **self.scalars(TENANT_SCALARS),
            "health": self.health, "healthHistory": self.health_history, "risks": self.risks,
            "initiatives": self.initiatives, "vendors": lambda: " " + self.selection("Vendor", self.scalars(VENDOR_FIELDS)),
            "policies": lambda: " " + self.selection("Policy", self.scalars(POLICY_FIELDS)),
            "budget": self.budget, "ticketMetrics": self.ticket_metrics,
            "nextSteeringMeeting": lambda: " " + self.meeting(), "steeringMeetings": self.meetings,
            "decisions": self.decisions, "goals": self.goals, "reviews": self.reviews,
            "lifecycleForecast": self.lifecycle_forecast, "roadmap": self.roadmap,
        }, most=7)

    def month(self, required: bool):
        """A Month value; rarely one the scalar refuses, which sends the whole request to the executor."""
        if self.rarely(150):
            self.refuse("an invalid month", everywhere=True)
            return self.draw(st.sampled_from(["2026-13", "2026-1", "26-01", "2026-01-01"]))
        return self.draw(months()) if required else self.optional(months())

    def score(self) -> str:
        return " " + self.selection("HealthScore", {
            **self.scalars(HEALTH),
            "components": lambda: " " + self.selection("HealthComponent", self.scalars(COMPONENT)),
        })

    def health(self) -> str:
        return self.arguments(("month", "Month", self.month(False))) + self.score()

    def health_history(self) -> str:
        return self.arguments(("from", "Month!", self.month(True)), ("to", "Month!", self.month(True))) + self.score()

    def nested_page(self, name: str, extra: list[tuple[str, str, object]], node: Callable[[], str]) -> str:
        first = self.optional(PAGE_SIZES)
        after = OMIT if not self.rarely(15) else self.draw(st.sampled_from([None, "eHl6OjE=", "x"]))
        if after not in (OMIT, None):
            self.refuse(f"a cursor on {name}")
        return self.arguments(("first", "Int", first), ("after", "String", after), *extra) + self.connection(name, node)

    def statuses(self, names: tuple[str, ...]):
        return self.optional(st.one_of(st.lists(enums(*names), max_size=len(names) + 1), enums(*names)))

    def risks(self) -> str:
        return self.nested_page("Risk", [
            ("status", "[RiskStatus!]", self.statuses(RISK_STATUSES)),
            ("minScore", "Int", self.optional(st.integers(-2, 27))),
            ("orderBy", "RiskOrder", self.optional(enums("SCORE_DESC", "REVIEW_DUE_ASC", "CREATED_DESC"))),
        ], lambda: " " + self.selection("Risk", {**self.scalars(RISK_FIELDS), "decision": self.decision}))

    def decision(self) -> str:
        return " " + self.selection("Decision", {
            **self.scalars(DECISION_FIELDS),
            "decidedBy": lambda: " " + self.selection("User", self.scalars(("email", "name", "role"))),
            "initiative": lambda: " " + self.selection("Initiative", self.scalars(INITIATIVE_FIELDS)),
            "risk": lambda: " " + self.selection("Risk", self.scalars(RISK_FIELDS)),
        })

    def decisions(self) -> str:
        return self.nested_page("Decision", [], self.decision)

    def goals(self) -> str:
        year = self.optional(st.sampled_from([2025, 2026, 2027, 1990, 2147483647]))
        return self.arguments(("fiscalYear", "Int", year)) + " " + self.selection("BusinessGoal", self.scalars(GOAL_FIELDS))

    def reviews(self) -> str:
        standard = lambda: " " + self.selection("Standard", self.scalars(STANDARD_FIELDS))  # noqa: E731
        answers = lambda: " " + self.selection("ReviewAnswer", {**self.scalars(("alignment", "note")), "standard": standard})  # noqa: E731
        return self.nested_page("Review", [], lambda: " " + self.selection("Review", {**self.scalars(REVIEW_FIELDS),
                                                                                    "answers": answers}))

    def lifecycle_forecast(self) -> str:
        quarters = self.optional(st.sampled_from([1, 4, 8, 40]), st.sampled_from([0, 41, -1]))
        if isinstance(quarters, int) and not 1 <= quarters <= 40:
            self.refuse("quarters outside 1..40 (the executor says why)")
        args = self.arguments(("quarters", "Int", quarters))
        return args + " " + self.selection("LifecycleQuarter", self.scalars(LIFECYCLE_QUARTER_FIELDS))

    def initiatives(self) -> str:
        return self.nested_page("Initiative", [
            ("status", "[InitiativeStatus!]", self.statuses(INITIATIVE_STATUSES)),
            ("orderBy", "InitiativeOrder", self.optional(enums("TARGET_MONTH_ASC", "PRIORITY_ASC", "CREATED_DESC"))),
        ], lambda: " " + self.selection("Initiative", self.scalars(INITIATIVE_FIELDS)))

    def budget(self) -> str:
        year = self.draw(st.one_of(st.sampled_from([2025, 2026, 2026, 2027, 2100]),
                                   st.sampled_from([1990, 1999, 2000, 2101, 0, -1, 2147483647])))
        args = self.arguments(("fiscalYear", "Int!", year))
        with self.unreached(not 2000 <= year <= 2100):
            lines = {**self.scalars(BUDGET_LINE_FIELDS), **self.not_compiled("BudgetLine")}
            options = {**self.scalars(BUDGET_FIELDS), "lines": lambda: " " + self.selection("BudgetLine", lines),
                       "forecast": lambda: " " + self.selection("ForecastMonth", self.scalars(FORECAST_FIELDS))}
            return args + " " + self.selection("Budget", options)

    def roadmap(self) -> str:
        year = self.draw(st.one_of(st.sampled_from([2025, 2026, 2026, 2027]), st.sampled_from([1999, 2101, 2147483647])))
        if not 2000 <= year <= 2100:
            self.refuse("a roadmap year outside 2000..2100 (the executor says why)")
        goal = lambda: " " + self.selection("BusinessGoal", self.scalars(GOAL_FIELDS))  # noqa: E731
        initiative = {**self.scalars(INITIATIVE_FIELDS), "goal": goal, **self.not_compiled("Initiative")}
        return self.arguments(("fiscalYear", "Int!", year)) + " " + self.selection("RoadmapQuarter", {
            **self.scalars(ROADMAP_QUARTER_FIELDS), "initiatives": lambda: " " + self.selection("Initiative", initiative)})

    def ticket_metrics(self) -> str:
        start, end = self.month(True), self.month(True)
        args = self.arguments(("from", "Month!", start), ("to", "Month!", end))
        try:
            never = end < start or add_months(dt.date.fromisoformat(start + "-01"), 120) <= dt.date.fromisoformat(end + "-01")
        except ValueError:
            never = False  # an invalid month: the request goes to the executor anyway
        with self.unreached(never):
            return args + " " + self.selection("TicketMonth", self.scalars(TICKET_FIELDS))

    def meetings(self) -> str:
        days = st.one_of(st.sampled_from(self.scene.days), st.sampled_from(["0001-01-01", "9999-12-30", "9999-12-31"]),
                         st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)).map(dt.date.isoformat))
        return self.arguments(("from", "Date", self.optional(days)), ("to", "Date", self.optional(days))) + " " + self.meeting()

    def meeting(self) -> str:
        return self.selection("SteeringMeeting", {
            **self.scalars(MEETING_FIELDS),
            "attendeeDetails": lambda: " " + self.selection("Attendee", self.scalars(("name", "function"))),
            "actionItems": lambda: self.nested_page("ActionItem", [
                ("status", "ActionItemStatus", self.optional(enums("OPEN", "DONE")))],
                lambda: " " + self.selection("ActionItem", self.scalars(ACTION_ITEM_FIELDS))),
            "suggestedAgenda": lambda: " " + self.selection("AgendaItem", self.scalars(("kind", "summary"))),
            **self.not_compiled("SteeringMeeting"),
        })


@st.composite
def documents(draw, scene: Scene, viewer: Viewer) -> Document:
    document = Writer(draw, viewer, scene).query()
    if refusal(document.query):
        document.refused.append("over the request limits")
    return document


