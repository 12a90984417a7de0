"""`seed_synthetic`: thousands of realistic, reproducible tenants, written in bulk through the tenant scope.

Tenants are generated and written in batches, each batch in one `tenant_session` scoped to its own
tenant ids (row-level security checks every row). Two batches are in flight at once, so Python
generates one while PostgreSQL inserts the other; each tenant draws from its own random stream,
so the interleaving never changes a row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from app import models
from app.db.scope import tenant_session
from app.errors import Conflict, Invalid
from app.months import last_full_month, month_start
from app.seed.bulk import insert_rows
from app.seed.generators import tenant_rows
from app.seed.reviews import LibraryEntry, practice_library, review_rows
from app.seed.specs import Period, TenantSpec, synthetic_specs
from app.seed.values import at, rng_uuid7
from app.standards.actions import copy_library
from app.tenants.actions import create_user, free_slug
from app.tenants.models import Practice, Role, Tenant
from app.validation import slugify

# Parents before children, so every composite foreign key finds its target.
TABLES = (
    models.Tenant, models.AuditEvent, models.StrategyProfile, models.Vendor, models.ItPlan, models.BusinessGoal, models.Initiative, models.Risk, models.Budget,
    models.BudgetLine, models.BudgetSpend, models.SpendMonth, models.TicketMonth, models.Ticket, models.Policy,
    models.SteeringMeeting, models.ActionItem, models.Asset, models.Review, models.ReviewAnswer, models.Finding,
)
# Small batches: the RLS check on each inserted row re-reads the whole `app.tenant_ids` array, so
# its cost grows with the scope (about 85 us a row at 200 tenants, 15 us at 20, measured).
BATCH_SIZE = 20
IN_FLIGHT = 2


@dataclass
class SeedSummary:
    practice_id: uuid.UUID
    practice: str
    tenants: int
    period: Period
    rows: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    cio_email: str | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def practice_rng(seed: int, practice: str) -> random.Random:
    """The master stream: ids differ between practices even for the same seed, so seeds can share a database."""
    return random.Random(f"fcio-seed:{seed}:{practice}")


async def seed_synthetic(
    sessionmaker: async_sessionmaker,
    *,
    tenants: int,
    months: int,
    practice: str = "Synthetic Practice",
    seed: int = 1,
    progress: bool = True,
    end_month: dt.date | None = None,
    cio_tenants: int = 0,
    cio_password: str | None = None,
) -> SeedSummary:
    """Create `practice` with `tenants` clients and `months` of data in every area, ending at `end_month`.

    With `cio_tenants`, also a CIO `cio@<practice-slug>.example` (password `cio_password`) granted
    the first `cio_tenants` tenants, e.g. for the portfolio benchmark.
    """
    if tenants < 1 or months < 1:
        raise Invalid("tenants and months must be at least 1.")
    if cio_tenants and (cio_password is None or cio_tenants > tenants):
        raise Invalid("cio_tenants needs cio_password and at most `tenants` tenants.", ["cio_tenants"])
    period = Period.ending(month_start(end_month or last_full_month()), months)
    rng = practice_rng(seed, practice)
    practice_id = await create_practice(sessionmaker, practice, rng, period)
    specs = synthetic_specs(rng, tenants, period)
    summary = await write_tenants(sessionmaker, practice_id, practice, specs, period, progress=progress)
    if cio_tenants:
        summary.cio_email = f"cio@{slugify(practice)}.example"
        await create_seed_users(sessionmaker, practice_id, [dict(
            email=summary.cio_email, name="Benchmark CIO", password=cio_password, role=Role.CIO,
            tenant_ids=[s.id for s in specs[:cio_tenants]],
        )])
    return summary


async def create_practice(sessionmaker, name: str, rng: random.Random, period: Period) -> uuid.UUID:
    """A new practice with a reproducible id; seeding into a practice that has clients would mix data."""
    created_at = at(period.start, 8)
    practice_id = rng_uuid7(rng, created_at)
    async with tenant_session(sessionmaker, ()) as session:
        existing = await session.scalar(select(Practice.id).where(Practice.name == name))
        if existing is not None:
            if await session.scalar(select(func.count()).select_from(Tenant).where(Tenant.practice_id == existing)):
                raise Conflict(f"Practice {name!r} already has clients; seed a new practice name or a fresh database.")
            return existing
        slug = await free_slug(session, Practice.slug, slugify(name, "practice"))
        await session.execute(
            insert(Practice).values(id=practice_id, name=name, slug=slug, created_at=created_at, updated_at=created_at)
        )
        await copy_library(session, practice_id, created_at)
        return practice_id


async def create_seed_users(sessionmaker, practice_id: uuid.UUID, users: list[dict]) -> None:
    """Users through the real action (hashed passwords, grants), all in one transaction."""
    async with tenant_session(sessionmaker, ()) as session:
        for fields in users:
            await create_user(session, practice_id, **fields)


async def write_tenants(
    sessionmaker: async_sessionmaker,
    practice_id: uuid.UUID,
    practice: str,
    specs: Sequence[TenantSpec],
    period: Period,
    *,
    progress: bool = True,
) -> SeedSummary:
    """Generate and insert every spec's rows, `BATCH_SIZE` tenants per transaction."""
    summary = SeedSummary(practice_id, practice, len(specs), period)
    started = time.perf_counter()
    async with tenant_session(sessionmaker, ()) as session:
        library = await practice_library(session, practice_id)
    batches = [specs[i : i + BATCH_SIZE] for i in range(0, len(specs), BATCH_SIZE)]
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(), TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task(f"Seeding {practice}", total=len(specs), rows=0)

        async def worker() -> None:
            while batches:
                batch = batches.pop(0)
                summary.rows.update(await write_batch(sessionmaker, practice_id, batch, period, library))
                bar.update(task, advance=len(batch), rows=summary.total_rows)

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    summary.seconds = time.perf_counter() - started
    return summary


async def write_batch(
    sessionmaker, practice_id: uuid.UUID, batch: Sequence[TenantSpec], period: Period, library: Sequence[LibraryEntry]
) -> Counter:
    rows: dict[str, list[dict]] = {}
    for spec in batch:
        generated = tenant_rows(spec, practice_id, period)
        generated.update(review_rows(spec, period, library, generated.get("initiatives", [])))
        for table, table_rows in generated.items():
            rows.setdefault(table, []).extend(table_rows)
    counts = Counter()
    async with tenant_session(sessionmaker, [s.id for s in batch]) as session:
        # The generated figures add up to the generated tickets and spend, inserted as rows beside
        # them (the driver's bulk insert holds no deltas, app/db/figures.py).
        for model in TABLES:
            table = model.__table__
            counts[table.name] = await insert_rows(session, table, rows.get(table.name, []))
    return counts
