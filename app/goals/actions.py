"""Business goals' rules (a required title, a fiscal year 2000..2100, KPI figures any finite number)
and the strategy profile's (`set_strategy_profile`).

A KPI may fall (fewer outages) as well as rise, so baseline, target and current are not ordered.
Initiatives are tied to a goal from their side (`goal_id`, app/planning/actions.py); deleting a
goal leaves its initiatives, unlinked (foreign key SET NULL).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.goals.models import BusinessGoal, GoalStatus, StrategyProfile
from app.guards import require_writer, visible_tenant

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


MAX_LIST = 50  # items of one of the profile's lists


def _items(field: str):
    return lambda values: v.texts(values, field, MAX_LIST, 200)


PROFILE_CHECKS = {
    "it_maturity": lambda value: v.int_range(value, "itMaturity", 1, 5),
    "build_vs_buy": None,
    "cloud_strategy": None,
    "preferred_platforms": _items("preferredPlatforms"),
    "endorsed_stack": _items("endorsedStack"),
    "regulatory_constraints": _items("regulatoryConstraints"),
    "it_capacity_note": lambda value: v.text(value, "itCapacityNote", max_length=5000, required=False),
}


async def set_strategy_profile(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, **changes: Any
) -> StrategyProfile:
    """Set the fields given (the names of `PROFILE_CHECKS`); a None clears one (a list to empty).

    Every field is optional, so there is no version to send: each call changes only what it names,
    and the profile row (made by the first call) is locked for the change. One audit event a call:
    `strategy_profile.create` (the first, no before) or `.update`, with the profile before and after.
    """
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    fields = v.checked(StrategyProfile, PROFILE_CHECKS, changes)
    made = await session.scalar(
        insert(StrategyProfile).values(tenant_id=tenant_id).on_conflict_do_nothing().returning(StrategyProfile.tenant_id)
    )
    profile = await session.scalar(
        select(StrategyProfile).where(StrategyProfile.tenant_id == tenant_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    before = None if made else snapshot(profile)
    for name, value in fields.items():
        setattr(profile, name, value)
    await session.flush()
    await session.refresh(profile)
    action = "strategy_profile.create" if made else "strategy_profile.update"
    await record(session, actor, tenant_id, action, "StrategyProfile", tenant_id, before, snapshot(profile))
    return profile
