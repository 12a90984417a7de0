"""`fcio recompute`: score a range of months directly, without the queue, with a progress bar.

The same `score_batch` as the workers, so a backfill and a worker run write identical rows and
may overlap safely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app.errors import Invalid, NotFound
from app.health.actions import score_batch
from app.health.recompute import tenant_batches
from app.months import add_months, month_label
from app.services import Services


@dataclass(frozen=True)
class BackfillCounts:
    months: int
    tenants: int  # active tenants selected
    scored: int  # tenant-months written (a tenant offboarded meanwhile is skipped)


def months_between(month_from: dt.date, month_to: dt.date) -> list[dt.date]:
    if month_from > month_to:
        raise Invalid("--from must not be after --month.", ["from"])
    months = [month_from]
    while months[-1] < month_to:
        months.append(add_months(months[-1], 1))
    return months


async def recompute_months(
    services: Services,
    month_from: dt.date,
    month_to: dt.date,
    tenant_slug: str | None = None,
    progress: bool = True,
) -> BackfillCounts:
    """Score every month from `month_from` to `month_to` for every active tenant (or one slug).

    A slug is unique within a practice only; every active tenant with that slug is scored.
    """
    months = months_between(month_from, month_to)
    groups = await tenant_batches(services.sessionmaker, services.settings.health_batch_size, slug=tenant_slug)
    ids = [t for batch in groups for t in batch]
    if tenant_slug is not None and not ids:
        raise NotFound(f"No active tenant has the slug {tenant_slug!r}.", ["tenant"])
    scored = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("Scoring", total=len(months) * len(ids))
        for month in months:
            bar.update(task, description=f"Scoring {month_label(month)}")
            for batch in groups:
                scored += await score_batch(services.sessionmaker, batch, month)
                bar.advance(task, len(batch))
    return BackfillCounts(len(months), len(ids), scored)
