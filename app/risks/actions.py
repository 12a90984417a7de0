"""The risk register's rules: likelihood and impact 1..5, score = likelihood x impact."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.risks.models import Risk, RiskCategory, RiskStatus, RiskTreatment


def _level(value: int | None, field: str) -> int | None:
    return v.int_range(value, field, 1, 5)


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
    risk = Risk(
        title=v.text(title, "title"),
        category=category,
        status=RiskStatus.OPEN,
        likelihood=_level(likelihood, "likelihood"),
        impact=_level(impact, "impact"),
        owner=v.text(owner, "owner", required=False),
        review_due=review_due,
        mitigation=v.text(mitigation, "mitigation", max_length=5000, required=False),
        treatment=treatment,
        description=v.text(description, "description", max_length=5000, required=False),
    )
    return await editing.create(session, actor, tenant_id, risk)


async def update_risk(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    risk_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    title: str | None = None,
    status: RiskStatus | None = None,
    likelihood: int | None = None,
    impact: int | None = None,
    mitigation: str | None = None,
    review_due: dt.date | None = None,
    owner: str | None = None,
    treatment: RiskTreatment | None = None,
) -> Risk:
    changes = {
        "title": v.text(title, "title", required=False) if title is not None else None,
        "status": status,
        "likelihood": _level(likelihood, "likelihood"),
        "impact": _level(impact, "impact"),
        "mitigation": v.text(mitigation, "mitigation", max_length=5000, required=False),
        "review_due": review_due,
        "owner": v.text(owner, "owner", required=False),
        "treatment": treatment,
    }
    risk, _ = await editing.update(session, actor, Risk, tenant_id, risk_id, changes, expected_version)
    return risk


async def delete_risk(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, risk_id: uuid.UUID) -> Risk:
    return await editing.delete(session, actor, Risk, tenant_id, risk_id)
