"""Pure, deterministic generators: one tenant's rows in every area, from its own random stream.

Who the tenants are is `app/seed/specs.py`; the small values rows are made of, `app/seed/values.py`;
goals and strategy profiles (a stream of their own), `app/seed/strategy.py`; recurring costs and
a roadmap over every quarter of the current fiscal year (another), `app/seed/roadmap.py`; reviews,
`app/seed/reviews.py`.

No database here. Every value, ids and timestamps included, comes from `random.Random(spec.seed)`
and the seeded period, so the same seed gives the same rows however the tenants are batched or
interleaved. Each tenant has a `discipline` (0 = struggling, 1 = well run) that drives all areas
together (ticket volume, overspend, risk severity, delivery, meeting cadence, policy upkeep),
which is what spreads the health scores over GREEN, YELLOW and RED.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from decimal import Decimal

from app.months import add_months, last_day
from app.planning.models import InitiativeStatus
from app.policies.models import REQUIRED_KINDS, PolicyKind, PolicyStatus
from app.risks.models import RiskStatus, RiskTreatment
from app.seed import catalog
from app.seed.roadmap import RoadmapRows
from app.seed.specs import Period, TenantSpec
from app.seed.strategy import StrategyRows
from app.seed.values import (
    Rows,
    at,
    fiscal_year,
    initiative_values,
    money,
    nth_weekday,
    rng_uuid7,
    round_to,
    timestamped,
    versioned,
    weighted,
)
from app.steering.models import ActionItemStatus, MeetingStatus
from app.tickets.models import MANUAL_SOURCE, TicketCategory


def tenant_rows(spec: TenantSpec, practice_id: uuid.UUID, period: Period) -> Rows:
    """Every row of one tenant, keyed by table name (the tenant row itself under "tenants")."""
    return TenantGenerator(spec, practice_id, period).generate()


class TenantGenerator(StrategyRows, RoadmapRows):
    """One tenant's data, area by area; later areas link to what earlier ones made."""

    def __init__(self, spec: TenantSpec, practice_id: uuid.UUID, period: Period):
        self.spec, self.practice_id, self.period = spec, practice_id, period
        self.rng = random.Random(spec.seed)
        self.q = spec.discipline
        self.months = period.months(spec.onboarded)
        self.as_of = period.as_of
        self.rows: Rows = {}
        self.vendor_ids: dict[str, uuid.UUID] = {}
        self.initiatives: list[dict] = []
        self.initiative_keys: dict[str, uuid.UUID] = {}
        self.roster: list[dict] = []

    def generate(self) -> Rows:
        self.tenant()
        self.people()
        self.vendors()
        self.plan()
        self.goals()
        self.risks()
        self.budgets()
        self.tickets()
        self.policies()
        self.steering()
        self.assets()
        self.roadmap()
        return self.rows

    # helpers -------------------------------------------------------------------------------------

    def add(self, table: str, row: dict) -> dict:
        row["tenant_id"] = self.spec.id
        self.rows.setdefault(table, []).append(row)
        return row

    def new_id(self, when: dt.datetime) -> uuid.UUID:
        return rng_uuid7(self.rng, when)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def scale(self) -> float:
        """Project costs grow sub-linearly with head count (catalog figures are for 100 people)."""
        return (self.spec.employees / 100) ** 0.7

    def soon_after(self, when: dt.datetime, max_days: int) -> dt.datetime:
        return when + dt.timedelta(days=self.rng.randint(0, max_days), hours=self.rng.randint(0, 8))

    def person(self, function: str | None = None) -> str:
        people = [p for p in self.roster if function in (None, p["function"])] or self.roster
        return self.rng.choice(people)["name"]

    # areas -----------------------------------------------------------------------------------------

    def tenant(self) -> None:
        s = self.spec
        self.rows["tenants"] = [{
            "id": s.id, "practice_id": self.practice_id, "name": s.name, "slug": s.slug, "industry": s.industry,
            "employee_count": s.employees, "fiscal_year_start_month": s.fiscal_year_start_month,
            "currency": s.currency, "status": "ACTIVE", **versioned(s.created_at),
        }]
        self.add("audit_events", {
            "id": self.new_id(s.created_at), "actor_type": "system", "actor_id": None, "action": "tenant.create",
            "object_type": "Tenant", "object_id": str(s.id), "before": None,
            "after": {"name": s.name, "slug": s.slug, "employee_count": s.employees, "source": "seed"},
            "created_at": s.created_at,
        })

    def people(self) -> None:
        """The client's steering committee: who attends, owns risks and takes action items."""
        functions = list(catalog.FUNCTIONS[:2]) + self.rng.sample(catalog.FUNCTIONS[2:], self.rng.randint(2, 4))
        names = set()
        while len(names) < len(functions):
            names.add(f"{self.rng.choice(catalog.FIRST_NAMES)} {self.rng.choice(catalog.LAST_NAMES)}")
        self.roster = [{"name": n, "function": f} for n, f in zip(sorted(names), functions, strict=True)]

    def vendors(self) -> None:
        for t in self.rng.sample(catalog.VENDORS, self.rng.randint(3, 10)):
            created = self.soon_after(self.spec.created_at, 20)
            row = self.add("vendors", {
                "id": self.new_id(created), "name": t.name, "relationship": t.relationship,
                "annual_cost": round_to((t.per_employee * self.spec.employees + t.fixed) * self.rng.uniform(0.8, 1.2), 10),
                "contract_end": self.as_of + dt.timedelta(days=self.rng.randint(-60, 720)),
                **versioned(created),
            })
            self.vendor_ids[t.key] = row["id"]

    def plan(self) -> None:
        first, last = self.months[0], add_months(self.period.end, 6)
        created = self.soon_after(self.spec.created_at, 10)
        years = f"{first.year}" if first.year == last.year else f"{first.year}–{last.year}"
        plan = self.add("it_plans", {
            "id": self.new_id(created), "title": f"IT roadmap {years}",
            "summary": f"What {self.spec.name} will change in IT, in order of business value.",
            "starts_on": first, "ends_on": last_day(last), **versioned(created),
        })
        horizon = self.months + [add_months(self.period.end, n) for n in range(1, 7)]
        for t in self.rng.sample(catalog.INITIATIVES, self.rng.randint(5, 15)):
            target = self.rng.choice(horizon)
            status = self.initiative_status(target)
            created = self.soon_after(self.spec.created_at, 25)
            done_at = at(target + dt.timedelta(days=self.rng.randint(5, 25)), 16)
            updated = done_at if status == InitiativeStatus.DONE and done_at > created else None
            id = self.new_id(created)
            row = self.add("initiatives", {
                "id": id, "plan_id": plan["id"], "title": t.title, "description": t.description, "status": status,
                "target_month": target, **initiative_values(self.rng, t, self.scale()), **versioned(created, updated),
            })
            self.initiatives.append(row)
            self.initiative_keys[t.key] = row["id"]

    def initiative_status(self, target: dt.date) -> InitiativeStatus:
        s = InitiativeStatus
        if target < self.as_of:
            if self.chance(0.2 + 0.78 * self.q):
                return s.DONE
            return weighted(self.rng, ((s.IN_PROGRESS, 0.5), (s.APPROVED, 0.2), (s.DEFERRED, 0.2), (s.CANCELLED, 0.1)))
        return weighted(self.rng, ((s.DONE, 0.05), (s.IN_PROGRESS, 0.35), (s.APPROVED, 0.3), (s.PROPOSED, 0.3)))

    def risks(self) -> None:
        s = RiskStatus
        statuses = (
            (s.OPEN, 0.55 - 0.4 * self.q), (s.MITIGATING, 0.2), (s.ACCEPTED, 0.1 + 0.1 * self.q),
            (s.CLOSED, 0.15 + 0.35 * self.q),
        )
        # Well-run clients have driven likelihoods down; struggling ones have let them rise.
        shift = round(1.5 - 3.5 * self.q)
        for t in self.rng.sample(catalog.RISKS, self.rng.randint(5, 20)):
            status = weighted(self.rng, statuses)
            likelihood = min(5, max(1, t.likelihood + shift + self.rng.choice((-1, 0, 0, 1))))
            impact = min(5, max(1, t.impact + self.rng.choice((-1, 0, 0, 0, 1))))
            created = at(self.rng.choice(self.months) + dt.timedelta(days=self.rng.randint(0, 27)), 11)
            created = max(created, self.spec.created_at)
            review_due = None
            if status != s.CLOSED:
                overdue = self.chance(0.05 + 0.45 * (1 - self.q))
                days = -self.rng.randint(5, 120) if overdue else self.rng.randint(5, 180)
                review_due = self.as_of + dt.timedelta(days=days)
            treated = status in (s.MITIGATING, s.ACCEPTED, s.CLOSED)
            link = t.initiative_key in self.initiative_keys and self.chance(0.8)
            self.add("risks", {
                "id": self.new_id(created), "title": t.title,
                "description": f"{t.title} at {self.spec.name}.", "category": t.category, "status": status,
                "likelihood": likelihood, "impact": impact, "treatment": self.treatment(status),
                "mitigation": t.mitigation if treated or self.chance(0.5) else None,
                "owner": self.person(), "review_due": review_due,
                "residual_likelihood": max(1, likelihood - self.rng.randint(0, 2)) if treated else None,
                "residual_impact": max(1, impact - self.rng.randint(0, 1)) if treated else None,
                "initiative_id": self.initiative_keys[t.initiative_key] if link else None,
                **versioned(created),
            })

    def treatment(self, status: RiskStatus) -> RiskTreatment | None:
        t = RiskTreatment
        return {
            RiskStatus.MITIGATING: t.MITIGATE,
            RiskStatus.ACCEPTED: t.ACCEPT,
            RiskStatus.CLOSED: self.rng.choice((t.MITIGATE, t.AVOID, t.TRANSFER)),
        }.get(status) or self.rng.choice((t.MITIGATE, t.TRANSFER, None))

    def budgets(self) -> None:
        """A budget per fiscal year touched; recurring lines, project lines and a few unplanned ones."""
        by_year: dict[int, list[dt.date]] = {}
        for month in self.months:
            by_year.setdefault(fiscal_year(month, self.spec.fiscal_year_start_month), []).append(month)
        linked = [t for t in catalog.BUDGET_LINES if t.vendor_key in self.vendor_ids]
        others = [t for t in catalog.BUDGET_LINES if t.vendor_key not in self.vendor_ids]
        recurring = (linked + self.rng.sample(others, len(others)))[: self.rng.randint(6, 11)]
        if self.q > 0.6:
            factor = self.rng.uniform(0.9, 1.05)
        elif self.chance(0.65):
            factor = self.rng.uniform(1.1, 1.2 + 0.8 * (0.6 - self.q))
        else:
            factor = self.rng.uniform(0.45, 0.8)
        for n, (year, months) in enumerate(sorted(by_year.items())):
            created = max(self.spec.created_at, at(months[0], 8))
            budget = self.add("budgets", {
                "id": self.new_id(created), "fiscal_year": year, "currency": self.spec.currency, **versioned(created),
            })
            lines = 0
            for t in recurring:
                annual = (t.per_employee * self.spec.employees + t.fixed) * self.rng.uniform(0.85, 1.15) * 1.04**n
                line = self.line(budget, created, t.name, t.kind, t.category, round_to(annual, 100),
                                 vendor_id=self.vendor_ids.get(t.vendor_key))
                self.spend(line, months, annual * factor, monthly=t.kind == catalog.OPEX)
                lines += 1
            for initiative in self.project_initiatives(year):
                if lines >= 13:
                    break
                line = self.line(budget, created, f"Project: {initiative['title']}", catalog.CAPEX, "Projects",
                                 initiative["cost_estimate"], initiative_id=initiative["id"])
                spent_months = [m for m in months if m <= initiative["target_month"]] or months[:1]
                self.spend(line, spent_months[-2:], float(initiative["cost_estimate"]) * factor, monthly=False)
                lines += 1
            unplanned = self.rng.randint(1, 2) if self.chance(0.75 * (1 - self.q) ** 2) else 0
            for name, kind, category in self.rng.sample(catalog.UNPLANNED_LINES, unplanned):
                line = self.line(budget, created, name, kind, category, Decimal("0.00"))
                self.spend(line, self.rng.sample(months, min(len(months), 2)), self.rng.uniform(1500, 12000), monthly=False)
        self.spend_months()
        self.planned_totals()

    def spend_months(self) -> None:
        """The spend per month that the database keeps (migration 0009): the seed brings it, as an import does."""
        totals: dict[dt.date, Decimal] = {}
        for row in self.rows.get("budget_spend", []):
            totals[row["month"]] = totals.get(row["month"], Decimal(0)) + row["amount"]
        for month, amount in sorted(totals.items()):
            if amount:
                self.add("spend_months", {"month": month, "amount": amount})

    def planned_totals(self) -> None:
        """Each budget's planned total, which the write paths of lines keep (migration 0021): the seed
        brings it, as it brings the spend per month."""
        totals: dict = {}
        for line in self.rows.get("budget_lines", []):
            totals[line["budget_id"]] = totals.get(line["budget_id"], Decimal(0)) + line["planned"]
        for budget in self.rows.get("budgets", []):
            budget["planned"] = totals.get(budget["id"], Decimal(0))

    def project_initiatives(self, year: int) -> list[dict]:
        return [
            i for i in self.initiatives
            if fiscal_year(i["target_month"], self.spec.fiscal_year_start_month) == year
            and i["status"] in (InitiativeStatus.APPROVED, InitiativeStatus.IN_PROGRESS, InitiativeStatus.DONE)
        ][:3]

    def line(self, budget, created, name, kind, category, planned, *, vendor_id=None, initiative_id=None) -> dict:
        return self.add("budget_lines", {
            "id": self.new_id(created), "budget_id": budget["id"], "name": name, "kind": kind, "category": category,
            "planned": planned, "vendor_id": vendor_id, "initiative_id": initiative_id, **versioned(created),
        })

    def spend(self, line: dict, months: list[dt.date], total: float, *, monthly: bool) -> None:
        """Run-rate lines spend every month (a twelfth of `total`); one-offs split `total` over a few."""
        if monthly:
            amounts = {m: total / 12 * self.rng.uniform(0.88, 1.12) for m in months if not self.chance(0.03)}
        else:
            chosen = sorted(self.rng.sample(months, min(len(months), self.rng.randint(1, 3))))
            amounts = {m: total / len(chosen) * self.rng.uniform(0.8, 1.2) for m in chosen}
        for month, amount in amounts.items():
            entered = at(month + dt.timedelta(days=self.rng.randint(24, 27)), 17)
            self.add("budget_spend", {
                "budget_line_id": line["id"], "month": month, "amount": money(amount), **timestamped(entered),
            })

    def tickets(self) -> None:
        """Monthly counts near `ratio` x the score's target; a PSA, when there is one, for the last months."""
        target = max(1, self.spec.employees // 5)
        ratio = math.exp(self.rng.gauss(math.log(2.4) - self.q * math.log(4.5), 0.2))
        psa = self.rng.choice(catalog.PSA_STYLES) if self.chance(0.4) else None
        self.ticket_number = self.rng.randint(10_000, 900_000)  # the PSA's ticket numbers rise over time
        connected = len(self.months) - self.rng.randint(1, min(4, len(self.months))) if psa else len(self.months)
        for n, month in enumerate(self.months):
            total = max(0, round(ratio * target * self.rng.uniform(0.8, 1.2)))
            support = round(total * self.rng.uniform(0.55, 0.75))
            change = min(total - support, round(total * self.rng.uniform(0.1, 0.25)))
            counts = {"SUPPORT": support, "CHANGE": change, "ALERT": total - support - change}
            entered = at(last_day(month), 18)
            if n >= connected:
                counts = self.psa_tickets(psa, month, counts)
            elif n < len(self.months) - 1 and self.chance(0.05 * (1 - self.q)):
                continue  # a month nobody reported
            self.add("ticket_months", {
                "month": month, "source": psa.source if n >= connected else MANUAL_SOURCE,
                "support": counts["SUPPORT"], "change": counts["CHANGE"], "alert": counts["ALERT"],
                **timestamped(entered),
            })

    def psa_tickets(self, psa: catalog.PsaStyle, month: dt.date, counts: dict[str, int]) -> dict[str, int]:
        """Individual tickets of `month`; returns the counts by category they add up to."""
        start, seconds = at(month, 0), (add_months(month, 1) - month).days * 86400
        closed_by = at(self.as_of, 0)
        mean_hours = {"SUPPORT": 18, "CHANGE": 60, "ALERT": 4}
        for category, count in counts.items():
            for _ in range(count):
                self.ticket_number += self.rng.randint(1, 40)
                opened = start + dt.timedelta(seconds=self.rng.randrange(seconds))
                closed = opened + dt.timedelta(hours=self.rng.expovariate(1 / mean_hours[category]))
                closed = closed.replace(microsecond=0) if closed < closed_by else None
                changed = closed or opened + dt.timedelta(minutes=self.rng.randint(5, 240))
                self.add("tickets", {
                    "id": self.new_id(opened), "source": psa.source, "external_id": str(self.ticket_number),
                    "category": TicketCategory(category), "priority": self.rng.choice(psa.priorities),
                    "title": self.rng.choice(catalog.TICKET_TITLES[category]),
                    "status": psa.closed_status if closed else psa.open_status, "opened_at": opened,
                    "closed_at": closed, "source_updated_at": changed, "source_sequence": None,
                    "attributes": {psa.attribute: psa.values[category]}, **timestamped(opened, changed),
                })
        return counts

    def policies(self) -> None:
        kinds = [
            k for k in PolicyKind if self.chance((0.45 + 0.55 * self.q) if k in REQUIRED_KINDS else 0.2 + 0.4 * self.q)
        ] or [PolicyKind.INFORMATION_SECURITY]
        for kind in kinds:
            interval = self.rng.choice((6, 12, 12, 12, 24))
            status = weighted(self.rng, (
                (PolicyStatus.APPROVED, 0.3 + 0.65 * self.q), (PolicyStatus.DRAFT, 0.6 - 0.6 * self.q),
                (PolicyStatus.MISSING, 0.1),
            ))
            approved_on = None
            if status == PolicyStatus.APPROVED:
                days = interval * 30
                current = self.chance(0.3 + 0.68 * self.q)
                ago = self.rng.randint(15, days - 15) if current else self.rng.randint(days + 15, days + 400)
                approved_on = self.as_of - dt.timedelta(days=ago)
            created = self.soon_after(self.spec.created_at, 30)
            url = f"https://intranet.{self.spec.slug}.example/policies/{kind.lower().replace('_', '-')}.pdf"
            self.add("policies", {
                "id": self.new_id(created), "kind": kind, "status": status, "approved_on": approved_on,
                "review_interval_months": interval,
                "document_url": url if status != PolicyStatus.MISSING else None, **versioned(created),
            })

    def steering(self) -> None:
        """A monthly meeting on a fixed weekday: the kick-off held, then mostly held; this month's and
        the next month's scheduled, so that a client has a meeting ahead on every day of the month
        (with this month's alone, none from the hour it began to the month's end)."""
        weekday, nth, hour = self.rng.choice((1, 2, 3)), self.rng.randint(1, 3), self.rng.choice((14, 15, 16))
        for n, month in enumerate(self.months + [self.as_of, add_months(self.as_of, 1)]):
            # The kick-off cannot precede the client's arrival.
            when = max(at(nth_weekday(month, weekday, nth), hour), self.spec.created_at + dt.timedelta(days=3))
            if month >= self.as_of:
                self.meeting(when, MeetingStatus.SCHEDULED)
            elif n == 0 or self.chance(0.5 + 0.48 * self.q):
                self.meeting(when, MeetingStatus.HELD)
            else:
                self.meeting(when, MeetingStatus.CANCELLED)
                if self.chance(0.4):
                    self.meeting(when + dt.timedelta(days=7), MeetingStatus.HELD)

    def meeting(self, when: dt.datetime, status: MeetingStatus) -> None:
        created = max(self.spec.created_at, when - dt.timedelta(days=self.rng.randint(20, 35)))
        attendees = self.roster[:2] + self.rng.sample(self.roster[2:], self.rng.randint(1, len(self.roster) - 2))
        agenda = self.rng.sample(catalog.AGENDA_ITEMS, self.rng.randint(3, 5))
        due = [i for i in self.initiatives if i["target_month"] == add_months(when.date().replace(day=1), 1)]
        agenda += [f"Initiative due next month: {i['title']}" for i in due[:2]]
        held = status == MeetingStatus.HELD
        quarter = (when.month - 1) // 3 + 1
        decisions = [d.format(q=quarter) for d in self.rng.sample(catalog.DECISIONS, self.rng.randint(1, 3))] if held else []
        meeting = self.add("steering_meetings", {
            "id": self.new_id(created), "scheduled_at": when, "status": status, "attendees": attendees,
            "agenda": agenda, "decisions": decisions,
            **versioned(created, when + dt.timedelta(hours=2) if status != MeetingStatus.SCHEDULED else None),
        })
        if held:
            self.action_items(meeting, when)

    def action_items(self, meeting: dict, when: dt.datetime) -> None:
        written = when + dt.timedelta(hours=2)
        for title in self.rng.sample(catalog.ACTION_ITEMS, self.rng.randint(1, 4)):
            due_on = when.date() + dt.timedelta(days=self.rng.randint(10, 35))
            done = due_on < self.as_of and self.chance(0.45 + 0.5 * self.q)
            self.add("action_items", {
                "id": self.new_id(written), "meeting_id": meeting["id"], "title": title,
                "owner": self.person(), "due_on": due_on,
                "status": ActionItemStatus.DONE if done else ActionItemStatus.OPEN,
                **versioned(written, at(due_on, 12) if done else None),
            })

    def assets(self) -> None:
        """The client's hardware and software: a struggling client keeps machines longer and dates
        fewer of them, so its lifecycle spreads over every status. Some are entered by hand, the
        rest come from an RMM (source `rmm`, with its device id)."""
        life = 4 + 4 * (1 - self.q)  # years the oldest machine has been kept
        fleet = [t for t in catalog.ASSETS for _ in range(max(1, round(t.per_100 * self.scale() / 5)))]
        for n, t in enumerate(fleet):
            bought = self.as_of - dt.timedelta(days=self.rng.randint(30, int(365 * life)))
            dated = self.chance(0.7 + 0.25 * self.q)
            created = max(self.spec.created_at, at(bought))
            pushed = self.chance(0.6)
            self.add("assets", {
                "id": self.new_id(created), "name": f"{t.model} #{n + 1}", "kind": t.kind,
                "manufacturer": t.manufacturer, "model": t.model,
                "serial_number": f"SN{self.rng.randrange(10**9):09d}" if t.manufacturer else None,
                "purchased_on": bought if dated else None,
                "warranty_end": bought + dt.timedelta(days=365 * self.rng.choice((1, 3, 3, 5))) if dated and self.chance(0.6) else None,
                "end_of_support": bought + dt.timedelta(days=365 * t.support_years) if t.support_years else None,
                "retired_on": max(bought, self.as_of - dt.timedelta(days=self.rng.randint(1, 300))) if self.chance(0.05) else None,
                "replace_by": None,
                "replacement_cost": round_to(t.cost * self.rng.uniform(0.9, 1.15), 10) if t.cost else None,
                "source": "rmm" if pushed else "manual", "external_id": f"dev-{n + 1}" if pushed else None,
                **versioned(created),
            })
