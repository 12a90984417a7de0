"""Generated business goals and strategy profiles: the client's side of the plan.

Two to four goals a fiscal year with their KPIs, served by the initiatives that move them, and one
strategy profile per client. A stream of its own (from the spec's seed), so the rest of the
tenant's data is the same as before goals were seeded.
"""

from __future__ import annotations

import random

from app.goals.models import BuildVsBuy, CloudStrategy, GoalStatus
from app.seed import catalog
from app.seed.values import fiscal_year, rng_uuid7, timestamped, versioned, weighted


class StrategyRows:
    """The goals and profile part of `TenantGenerator` (app/seed/generators.py), which mixes it in."""

    def goals(self) -> None:
        """The tenant's goals and profile; initiatives that move a KPI and fall in the goal's year serve it."""
        rng = random.Random(f"{self.spec.seed}:goals")
        start = self.spec.fiscal_year_start_month
        years = sorted({fiscal_year(i["target_month"], start) for i in self.initiatives})
        current = fiscal_year(self.as_of, start)
        template_of = {id: key for key, id in self.initiative_keys.items()}
        for initiative in self.initiatives:
            initiative["goal_id"] = None
        self.strategy(rng)
        for year in years:
            created = self.soon_after(self.spec.created_at, 10)
            for t in rng.sample(catalog.GOALS, rng.randint(2, 4)):
                progress = min(1.0, rng.uniform(0.1, 0.6) + 0.6 * self.q) if year <= current else rng.uniform(0, 0.3)
                status = self.goal_status(rng, progress, year < current)
                goal = self.add("business_goals", {
                    "id": rng_uuid7(rng, created), "title": t.title, "fiscal_year": year, "function": t.function,
                    "kpi": t.kpi, "baseline": t.baseline, "target": t.target,
                    "current": round(t.baseline + (t.target - t.baseline) * progress, 1), "status": status,
                    **versioned(created),
                })
                for initiative in self.initiatives:
                    serves = template_of[initiative["id"]] in t.serves and fiscal_year(initiative["target_month"], start) == year
                    if serves and initiative["goal_id"] is None and rng.random() < 0.8:
                        initiative["goal_id"] = goal["id"]

    def strategy(self, rng: random.Random) -> None:
        """The strategy profile, maturity following the client's discipline."""
        created = self.soon_after(self.spec.created_at, 30)
        self.add("strategy_profiles", {
            "it_maturity": max(1, min(5, round(1 + 4 * self.q + rng.uniform(-0.6, 0.6)))),
            "build_vs_buy": weighted(rng, ((BuildVsBuy.BUY, 0.7), (BuildVsBuy.MIXED, 0.25), (BuildVsBuy.BUILD, 0.05))),
            "cloud_strategy": weighted(rng, ((CloudStrategy.CLOUD_FIRST, 0.5), (CloudStrategy.HYBRID, 0.4),
                                             (CloudStrategy.ON_PREMISES, 0.1))),
            "preferred_platforms": rng.sample(catalog.PLATFORMS, rng.randint(1, 3)),
            "endorsed_stack": rng.sample(catalog.STACK, rng.randint(3, 6)),
            "regulatory_constraints": rng.sample(catalog.REGULATIONS, rng.randint(0, 2)),
            "it_capacity_note": rng.choice(catalog.CAPACITY_NOTES),
            **timestamped(created),
        })

    @staticmethod
    def goal_status(rng: random.Random, progress: float, year_over: bool) -> GoalStatus:
        s = GoalStatus
        if progress >= 0.95:
            return s.ACHIEVED
        if year_over:
            return weighted(rng, ((s.OFF_TRACK, 0.6), (s.DROPPED, 0.4)))
        return s.ON_TRACK if progress >= 0.5 else weighted(rng, ((s.AT_RISK, 0.6), (s.OFF_TRACK, 0.3), (s.ON_TRACK, 0.1)))
