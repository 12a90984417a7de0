"""Business goals' rules: a required title, a fiscal year 2000..2100, KPI figures any finite number.

A KPI may fall (fewer outages) as well as rise, so baseline, target and current are not ordered.
Initiatives are tied to a goal from their side (`goal_id`, app/planning/actions.py); deleting a
goal leaves its initiatives, unlinked (foreign key SET NULL).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.goals.models import BusinessGoal, GoalStatus

CHECKS = {
    "title": lambda value: v.text(value, "title"),
    "fiscal_year": lambda value: v.int_range(value, "fiscalYear", 2000, 2100),
    "function": lambda value: v.text(value, "function", required=False),
    "kpi": lambda value: v.text(value, "kpi", required=False),
    "baseline": lambda value: v.finite(value, "baseline"),
    "target": lambda value: v.finite(value, "target"),
    "current": lambda value: v.finite(value, "current"),
    "status": None,
}


async def create_goal(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    title: str,
    fiscal_year: int,
    function: str | None = None,
    kpi: str | None = None,
    baseline: float | None = None,
    target: float | None = None,
    current: float | None = None,
    status: GoalStatus | None = GoalStatus.ON_TRACK,
) -> BusinessGoal:
    fields = v.checked(BusinessGoal, CHECKS, dict(
        title=title, fiscal_year=fiscal_year, function=function, kpi=kpi, baseline=baseline, target=target,
        current=current, status=status or GoalStatus.ON_TRACK,
    ))
    return await editing.create(session, actor, tenant_id, BusinessGoal(**fields))


async def update_goal(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    goal_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> BusinessGoal:
    """Set the fields given (the names of `CHECKS`); a None clears one, INVALID for a required one."""
    goal, _ = await editing.update(
        session, actor, BusinessGoal, tenant_id, goal_id, v.checked(BusinessGoal, CHECKS, changes), expected_version
    )
    return goal


async def delete_goal(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, goal_id: uuid.UUID) -> BusinessGoal:
    """Its initiatives keep existing, unlinked (foreign key SET NULL)."""
    return await editing.delete(session, actor, BusinessGoal, tenant_id, goal_id)
