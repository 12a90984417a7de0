"""Who the seeded tenants are (`TenantSpec`) and over which months (`Period`); the generators
make everything else about a tenant from its spec's seed."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass

from app.months import add_months
from app.seed import catalog
from app.seed.values import at, rng_uuid7, weighted
from app.validation import slugify


@dataclass(frozen=True)
class Period:
    """The seeded months, `start`..`end` (first days). `as_of`, the month after, is "now" for the data."""

    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, end: dt.date, months: int) -> Period:
        return cls(add_months(end, 1 - months), end)

    @property
    def as_of(self) -> dt.date:
        return add_months(self.end, 1)

    def months(self, since: dt.date | None = None) -> list[dt.date]:
        month, out = max(self.start, since or self.start), []
        while month <= self.end:
            out.append(month)
            month = add_months(month, 1)
        return out


@dataclass(frozen=True)
class TenantSpec:
    """Who a tenant is; everything else about it is generated from `seed`."""

    id: uuid.UUID
    name: str
    slug: str
    industry: str
    employees: int
    fiscal_year_start_month: int
    currency: str
    discipline: float
    onboarded: dt.date  # the first month with data
    created_at: dt.datetime
    seed: int


def make_spec(
    rng: random.Random,
    period: Period,
    *,
    name: str,
    slug: str,
    industry: str,
    employees: int,
    discipline: float,
    fiscal_year_start_month: int = 1,
    currency: str = "USD",
    onboarded: dt.date | None = None,
) -> TenantSpec:
    onboarded = onboarded or period.start
    created_at = at(onboarded + dt.timedelta(days=rng.randint(0, 4)), rng.randint(8, 17), rng.randint(0, 59))
    return TenantSpec(
        id=rng_uuid7(rng, created_at),
        name=name,
        slug=slug,
        industry=industry,
        employees=employees,
        fiscal_year_start_month=fiscal_year_start_month,
        currency=currency,
        discipline=discipline,
        onboarded=onboarded,
        created_at=created_at,
        seed=rng.getrandbits(64),
    )


def synthetic_specs(rng: random.Random, count: int, period: Period) -> list[TenantSpec]:
    """`count` plausible client organisations with unique slugs; most onboarded at the period's start."""
    specs, taken = [], set()
    span = len(period.months())
    for _ in range(count):
        core, industry = rng.choice(catalog.NAME_CORES)
        name = " ".join(w for w in (rng.choice(catalog.NAME_PREFIXES), core, rng.choice(catalog.NAME_SUFFIXES)) if w)
        slug, n = slugify(name), 2
        while slug in taken:
            slug, n = f"{slugify(name)}-{n}", n + 1
        taken.add(slug)
        late = span > 1 and rng.random() < 0.12
        specs.append(
            make_spec(
                rng,
                period,
                name=name,
                slug=slug,
                industry=industry,
                employees=int(math.exp(rng.uniform(math.log(10), math.log(501)))),
                discipline=rng.betavariate(1.6, 1.4),
                fiscal_year_start_month=weighted(rng, catalog.FISCAL_YEAR_STARTS),
                currency=weighted(rng, catalog.CURRENCIES),
                onboarded=add_months(period.start, rng.randint(1, max(1, span // 2))) if late else None,
            )
        )
    return specs
