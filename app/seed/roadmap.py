"""Generated roadmaps: what the initiatives cost to run, and a current fiscal year planned in every quarter.

Every initiative gets its recurring cost a year (the templates that have one, app/seed/catalog.py),
and each quarter of the fiscal year holding `as_of` that the drawn initiatives leave empty gets one
more, valued like the others (one-time cost, recurring cost, hours saved, revenue at risk) and tied
to a goal of that year it serves. A stream of its own (from the spec's seed) and rows added after
the areas that read the initiatives' list, so the rest of the tenant's data is the same as before
roadmaps were seeded (the health score's plan component counts the added initiatives).
"""

from __future__ import annotations

import datetime as dt
import random

from app.months import add_months
from app.planning.models import InitiativeStatus
from app.seed import catalog
from app.seed.values import fiscal_year, initiative_values, rng_uuid7, round_to, versioned, weighted


class RoadmapRows:
    """The roadmap part of `TenantGenerator` (app/seed/generators.py), which mixes it in."""

    def roadmap(self) -> None:
        rng = random.Random(f"{self.spec.seed}:roadmap")
        template_of = {id: key for key, id in self.initiative_keys.items()}
        for initiative in self.initiatives:
            initiative["recurring_cost_per_year"] = self.recurring_cost(rng, template_of[initiative["id"]])
        start = self.spec.fiscal_year_start_month
        year = fiscal_year(self.as_of, start)
        first = dt.date(year, start, 1)
        planned = [i["target_month"] for i in self.initiatives if i["status"] != InitiativeStatus.CANCELLED]
        unused = [t for t in catalog.INITIATIVES if t.key not in self.initiative_keys] or list(catalog.INITIATIVES)
        for quarter in (add_months(first, 3 * n) for n in range(4)):
            if not any(quarter <= month < add_months(quarter, 3) for month in planned):
                template = unused.pop(rng.randrange(len(unused))) if len(unused) > 1 else unused[0]
                self.quarter_initiative(rng, template, add_months(quarter, rng.randrange(3)), year)

    def recurring_cost(self, rng: random.Random, key: str):
        low_high = catalog.RECURRING_COSTS.get(key)
        return round_to(rng.uniform(*low_high) * self.scale(), 100) if low_high else None

    def quarter_initiative(self, rng: random.Random, t: catalog.InitiativeTemplate, target: dt.date, year: int) -> None:
        s = InitiativeStatus
        if target < self.as_of:
            status = weighted(rng, ((s.DONE, 0.2 + 0.7 * self.q), (s.IN_PROGRESS, 0.8 - 0.7 * self.q)))
        else:
            status = weighted(rng, ((s.APPROVED, 0.4), (s.PROPOSED, 0.4), (s.IN_PROGRESS, 0.2)))
        created = self.spec.created_at + dt.timedelta(days=rng.randint(0, 25), hours=rng.randint(0, 8))
        serving = [g for g in self.rows.get("business_goals", []) if g["fiscal_year"] == year
                   and any(gt.title == g["title"] and t.key in gt.serves for gt in catalog.GOALS)]
        id = rng_uuid7(rng, created)
        self.add("initiatives", {
            "id": id, "plan_id": self.rows["it_plans"][0]["id"], "title": t.title, "description": t.description,
            "status": status, "target_month": target, **initiative_values(rng, t, self.scale()),
            "recurring_cost_per_year": self.recurring_cost(rng, t.key),
            "goal_id": serving[0]["id"] if serving else None, **versioned(created),
        })
