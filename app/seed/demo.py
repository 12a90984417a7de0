"""`seed_demo`: the practice `fcio dev` loads on first run, with known logins to try every role.

Eight named clients with a year of data up to last month, from the synthetic generators with a
fixed seed; their disciplines are chosen so the portfolio shows GREEN, YELLOW and RED clients.
The first client's executive has signed decisions (app/seed/decisions.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db.scope import tenant_session
from app.months import last_full_month
from app.seed.decisions import demo_decisions
from app.seed.specs import Period, make_spec
from app.seed.synthetic import (
    create_practice,
    create_seed_users,
    practice_rng,
    write_tenants,
)
from app.tenants.models import Practice, Role
from app.validation import slugify

DEMO_PRACTICE = "Northwind Advisory"
DEMO_PASSWORD = "demo-password-1"
DEMO_SEED = 2026
DEMO_MONTHS = 12


class DemoClient(NamedTuple):
    name: str
    industry: str
    employees: int
    discipline: float  # 1 = well run (GREEN), 0 = struggling (RED)
    fiscal_year_start_month: int = 1
    currency: str = "USD"


DEMO_CLIENTS = (
    DemoClient("Harbor Dental Group", "Healthcare", 85, 0.92),
    DemoClient("Ironwood Manufacturing", "Manufacturing", 240, 0.3),
    DemoClient("Cedar & Finch LLP", "Legal", 60, 0.78),
    DemoClient("Bluewater Logistics", "Logistics", 410, 0.12, fiscal_year_start_month=7),
    DemoClient("Summit Credit Union", "Financial services", 130, 0.97),
    DemoClient("Maple Street Academy", "Education", 150, 0.5, fiscal_year_start_month=9),
    DemoClient("Copperleaf Architects", "Professional services", 35, 0.65, fiscal_year_start_month=4, currency="CAD"),
    DemoClient("Tidewater Hospitality", "Hospitality", 320, 0.4),
)


class Login(NamedTuple):
    role: Role
    email: str
    password: str


def demo_logins() -> list[Login]:
    first_client = slugify(DEMO_CLIENTS[0].name)
    return [
        Login(Role.PRACTICE_ADMIN, "admin@northwind.example", DEMO_PASSWORD),
        Login(Role.CIO, "cio@northwind.example", DEMO_PASSWORD),
        Login(Role.CLIENT_EXECUTIVE, f"exec@{first_client}.example", DEMO_PASSWORD),
    ]


@dataclass
class DemoSummary:
    created: bool
    practice: str
    tenants: int
    logins: list[Login]

    @property
    def message(self) -> str:
        if not self.created:
            return f"Demo practice {self.practice!r} already exists; nothing seeded."
        return f"Seeded demo practice {self.practice!r} with {self.tenants} clients."


USER_NAMES = {Role.PRACTICE_ADMIN: "Avery Admin", Role.CIO: "Casey Cio", Role.CLIENT_EXECUTIVE: "Erin Executive"}


async def seed_demo(sessionmaker: async_sessionmaker, *, end_month: dt.date | None = None) -> DemoSummary:
    """Seed the demo practice unless it exists (then do nothing); returns the logins to print."""
    async with tenant_session(sessionmaker, ()) as session:
        exists = await session.scalar(select(Practice.id).where(Practice.name == DEMO_PRACTICE))
    if exists:
        return DemoSummary(False, DEMO_PRACTICE, 0, demo_logins())
    period = Period.ending(end_month or last_full_month(), DEMO_MONTHS)
    rng = practice_rng(DEMO_SEED, DEMO_PRACTICE)
    practice_id = await create_practice(sessionmaker, DEMO_PRACTICE, rng, period)
    specs = [
        make_spec(
            rng, period, name=c.name, slug=slugify(c.name), industry=c.industry, employees=c.employees,
            discipline=c.discipline, fiscal_year_start_month=c.fiscal_year_start_month, currency=c.currency,
        )
        for c in DEMO_CLIENTS
    ]
    await write_tenants(sessionmaker, practice_id, DEMO_PRACTICE, specs, period, progress=False)
    grants = {Role.PRACTICE_ADMIN: [], Role.CIO: [s.id for s in specs], Role.CLIENT_EXECUTIVE: [specs[0].id]}
    await create_seed_users(sessionmaker, practice_id, [
        dict(email=login.email, name=USER_NAMES[login.role], password=login.password, role=login.role,
             tenant_ids=grants[login.role])
        for login in demo_logins()
    ])
    await demo_decisions(sessionmaker, practice_id, specs[0].id)
    return DemoSummary(True, DEMO_PRACTICE, len(specs), demo_logins())
