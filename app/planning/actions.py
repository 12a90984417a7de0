"""The IT plan's initiatives: what is planned, when, at what cost and with what benefit.

Priority runs 1 (highest) to 5; money (the one-time `cost_estimate`, the recurring cost a year, the
revenue at risk) is non-negative with at most two decimals; a target month
is stored as its first day. Initiatives are read as they stand when a score is computed (DESIGN.md),
so no change here marks a past month stale.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.errors import Invalid, NotFound
from app.goals.models import BusinessGoal
from app.guards import require_writer, visible_tenant
from app.months import month_start
from app.planning.models import Initiative, InitiativeStatus

MAX_HOURS_SAVED = 1_000_000.0


def _priority(value: int | None) -> int | None:
    return v.int_range(value, "priority", 1, 5)


def _hours(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_HOURS_SAVED:
        raise Invalid(f"hoursSavedPerMonth must be between 0 and {MAX_HOURS_SAVED:,.0f}.", ["hoursSavedPerMonth"])
    return float(value)


def _month(value: dt.date | None) -> dt.date | None:
    return month_start(value) if value is not None else None


CHECKS = {
    "title": lambda value: v.text(value, "title"),
    "status": None,
    "priority": _priority,
    "target_month": _month,
    "cost_estimate": lambda value: v.money(value, "costEstimate"),
    "recurring_cost_per_year": lambda value: v.money(value, "recurringCostPerYear"),
    "hours_saved_per_month": _hours,
    "revenue_at_risk": lambda value: v.money(value, "revenueAtRisk"),
    "description": lambda value: v.text(value, "description", max_length=5000, required=False),
    "goal_id": None,  # checked against the tenant's goals by `_goal`
}


async def _goal(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, fields: dict[str, Any]
) -> dict[str, Any]:
    """The goal an initiative serves must be one of its tenant's: another's is one that does not exist.
    Checked after the tenant (and, for an update, the initiative) and the right to write, as every
    write orders them, so a reader is FORBIDDEN whatever goal id it sent."""
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    goal_id = fields.get("goal_id")
    if goal_id is not None and await session.get(BusinessGoal, (tenant_id, goal_id)) is None:
        raise NotFound("BusinessGoal not found.", ["goalId"])
    return fields


async def create_initiative(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    title: str,
    status: InitiativeStatus = InitiativeStatus.PROPOSED,
    priority: int = 3,
    target_month: dt.date | None = None,
    cost_estimate: Decimal | None = None,
    recurring_cost_per_year: Decimal | None = None,
    hours_saved_per_month: float | None = None,
    revenue_at_risk: Decimal | None = None,
    description: str | None = None,
    goal_id: uuid.UUID | None = None,
) -> Initiative:
    fields = await _goal(session, actor, tenant_id, v.checked(Initiative, CHECKS, dict(
        title=title, status=status or InitiativeStatus.PROPOSED, priority=priority if priority is not None else 3,
        target_month=target_month, cost_estimate=cost_estimate, recurring_cost_per_year=recurring_cost_per_year,
        hours_saved_per_month=hours_saved_per_month,
        revenue_at_risk=revenue_at_risk, description=description, goal_id=goal_id,
    )))
    return await editing.create(session, actor, tenant_id, Initiative(**fields))


async def update_initiative(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    initiative_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> Initiative:
    """Set the fields given (the names of `CHECKS`); a None clears one, INVALID for a required one."""
    await editing.load(session, actor, Initiative, tenant_id, initiative_id)
    initiative, _ = await editing.update(
        session, actor, Initiative, tenant_id, initiative_id,
        await _goal(session, actor, tenant_id, v.checked(Initiative, CHECKS, changes)), expected_version,
    )
    return initiative


async def delete_initiative(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, initiative_id: uuid.UUID
) -> Initiative:
    """Risks and budget lines linked to it keep existing, unlinked (foreign keys SET NULL)."""
    return await editing.delete(session, actor, Initiative, tenant_id, initiative_id)
