"""IT policies: one row per tenant and kind; a kind without a row is MISSING.

An APPROVED policy needs the date it was approved; it is due for review `review_interval_months`
after that date (the end of the month when that day does not exist, as PostgreSQL's date
arithmetic does, which the health score uses). Policies are read as they stand when a score is
computed (DESIGN.md), so no change here marks a past month stale.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.errors import Conflict, Invalid, NotFound
from app.guards import require_writer, visible_tenant
from app.months import add_months
from app.policies.models import Policy, PolicyKind, PolicyStatus
from app.rules import is_sql

DEFAULT_REVIEW_INTERVAL = 12


def review_due(approved_on, interval_months):
    """`approved_on` plus the interval, clamped to the month's last day (Jan 31 + 1 = Feb 28/29).

    On dates, or on SQL expressions of them (app/rules.py): PostgreSQL's month arithmetic clamps
    the same way, and scoring and the compiled reads use this SQL.
    """
    if is_sql(approved_on, interval_months):
        return cast(approved_on + func.make_interval(0, interval_months), Date)
    if approved_on is None:
        return None
    month = add_months(approved_on.replace(day=1), interval_months)
    return month.replace(day=min(approved_on.day, calendar.monthrange(month.year, month.month)[1]))


async def _policy_of_kind(session: AsyncSession, tenant_id: uuid.UUID, kind: PolicyKind) -> Policy | None:
    return await session.scalar(select(Policy).where(Policy.tenant_id == tenant_id, Policy.kind == kind))


CHECKS = {
    "status": None,
    "approved_on": None,
    "review_interval_months": lambda value: v.int_range(
        value if value is not None else DEFAULT_REVIEW_INTERVAL, "reviewIntervalMonths", 1, 60
    ),
    "document_url": lambda value: v.text(value, "documentUrl", max_length=2000, required=False),
}


async def set_policy(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    kind: PolicyKind,
    status: PolicyStatus,
    review_interval_months: int | None = DEFAULT_REVIEW_INTERVAL,
    expected_version: int | None = None,
    **recorded: Any,
) -> Policy:
    """Record the tenant's policy of `kind` (created or updated).

    `recorded`: `approved_on` and `document_url`, set when given (None clears one) and, left out,
    keeping what was recorded (a policy back in DRAFT keeps its last approval date).
    `expected_version` 0 means "I saw none": CONFLICT if one exists.
    """
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    approved_on = recorded.get("approved_on")
    if status == PolicyStatus.MISSING:
        raise Invalid("status MISSING means no policy: use deletePolicy to remove one.", ["status"])
    if status == PolicyStatus.APPROVED and approved_on is None:
        raise Invalid("An APPROVED policy needs approvedOn, the date it was approved.", ["approvedOn"])
    if approved_on is not None and approved_on > dt.datetime.now(dt.UTC).date():
        raise Invalid("approvedOn must not be in the future.", ["approvedOn"])
    fields = v.checked(Policy, CHECKS, dict(status=status, review_interval_months=review_interval_months, **recorded))
    existing = await _policy_of_kind(session, tenant_id, kind)
    if existing is None:
        if expected_version:
            raise Conflict(f"No {kind.value} policy exists any more (you had version {expected_version}).", ["expectedVersion"])
        return await editing.create(session, actor, tenant_id, Policy(kind=kind, **fields))
    policy, _ = await editing.update(session, actor, Policy, tenant_id, existing.id, fields, expected_version)
    return policy


async def delete_policy(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, kind: PolicyKind) -> Policy:
    """Remove the tenant's policy of `kind`: it reads as MISSING again."""
    await visible_tenant(session, actor, tenant_id)
    existing = await _policy_of_kind(session, tenant_id, kind)
    if existing is None:
        raise NotFound(f"No {kind.value} policy is recorded.", ["kind"])
    return await editing.delete(session, actor, Policy, tenant_id, existing.id)
