"""The risk register's rules: likelihood and impact 1..5, score = likelihood x impact."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.risks.models import Risk, RiskCategory, RiskStatus, RiskTreatment


def _level(value: int | None, field: str) -> int | None:
    return v.int_range(value, field, 1, 5)


CHECKS = {
    "title": lambda value: v.text(value, "title"),
    "category": None,
    "status": None,
    "likelihood": lambda value: _level(value, "likelihood"),
    "impact": lambda value: _level(value, "impact"),
    "owner": lambda value: v.text(value, "owner", required=False),
    "review_due": None,
    "mitigation": lambda value: v.text(value, "mitigation", max_length=5000, required=False),
    "treatment": None,
    "description": lambda value: v.text(value, "description", max_length=5000, required=False),
}


async def create_risk(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    title: str,
    category: RiskCategory,
    likelihood: int,
    impact: int,
    owner: str | None = None,
    review_due: dt.date | None = None,
    mitigation: str | None = None,
    treatment: RiskTreatment | None = None,
    description: str | None = None,
) -> Risk:
    fields = v.checked(Risk, CHECKS, dict(
        title=title, category=category, status=RiskStatus.OPEN, likelihood=likelihood, impact=impact, owner=owner,
        review_due=review_due, mitigation=mitigation, treatment=treatment, description=description,
    ))
    return await editing.create(session, actor, tenant_id, Risk(**fields))


async def update_risk(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    risk_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> Risk:
    """Set the fields given (the names of `CHECKS`); a None clears one, INVALID for a required one."""
    risk, _ = await editing.update(
        session, actor, Risk, tenant_id, risk_id, v.checked(Risk, CHECKS, changes), expected_version
    )
    return risk


async def delete_risk(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, risk_id: uuid.UUID) -> Risk:
    return await editing.delete(session, actor, Risk, tenant_id, risk_id)
