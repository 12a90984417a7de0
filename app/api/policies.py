"""IT policies: `Policy` (one per kind, MISSING where none is recorded), `setPolicy`, `deletePolicy`.

A policy is addressed by its tenant and kind, not by a global id: there is exactly one of each
kind per tenant, and a MISSING one has no row to name.
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from sqlalchemy import select

from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import rows_by_tenant
from app.api.mutations import given, perform
from app.api.permissions import tenant_key
from app.policies import actions
from app.policies import models as m

PolicyKind = strawberry.enum(m.PolicyKind, name="PolicyKind")
PolicyStatus = strawberry.enum(m.PolicyStatus, name="PolicyStatus")

POLICIES = m.Policy.__table__


@strawberry.type
class Policy:
    kind: PolicyKind
    status: PolicyStatus
    approved_on: dt.date | None
    review_interval_months: int
    review_due: dt.date | None = strawberry.field(description="approvedOn + reviewIntervalMonths.")
    document_url: str | None
    version: int = strawberry.field(description="0 while MISSING (nothing recorded yet).")


# A kind with nothing recorded: these values, in both read paths (the compiled reads coalesce to them).
MISSING = {"status": m.PolicyStatus.MISSING, "approved_on": None, "review_interval_months": actions.DEFAULT_REVIEW_INTERVAL,
           "document_url": None, "version": 0}


def policy_node(row) -> Policy:
    return Policy(
        kind=row.kind, status=row.status, approved_on=row.approved_on,
        review_interval_months=row.review_interval_months,
        review_due=actions.review_due(row.approved_on, row.review_interval_months),
        document_url=row.document_url, version=row.version,
    )


def missing_policy(kind: m.PolicyKind) -> Policy:
    return Policy(kind=kind, review_due=None, **MISSING)


async def tenant_policies(ctx: Context, tenant_id: uuid.UUID) -> list[Policy]:
    rows = await rows_by_tenant(
        ctx, "PoliciesByTenant", tenant_id, lambda keys: select(POLICIES).where(POLICIES.c.tenant_id.in_(keys))
    )
    recorded = {m.PolicyKind(r.kind): r for r in rows}
    return [policy_node(recorded[k]) if k in recorded else missing_policy(k) for k in m.PolicyKind]


@strawberry.input(description="Creates or updates the tenant's policy of this kind.")
class SetPolicyInput:
    tenant_id: strawberry.ID
    kind: PolicyKind
    status: PolicyStatus = strawberry.field(description="DRAFT or APPROVED; APPROVED needs approvedOn.")
    approved_on: strawberry.Maybe[dt.date | None] = strawberry.field(
        description="Required for APPROVED; left out, the recorded date is kept; null clears it."
    )
    review_interval_months: int | None = 12
    document_url: strawberry.Maybe[str | None] = strawberry.field(
        description="Left out, the recorded one is kept; null clears it."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The version you saw; 0 when you saw it MISSING. CONFLICT when stale."
    )


@strawberry.input
class DeletePolicyInput:
    tenant_id: strawberry.ID
    kind: PolicyKind


@strawberry.type
class PolicyPayload:
    policy: Policy | None
    user_errors: list[UserError]


@strawberry.type
class PolicyMutations:
    @strawberry.mutation
    async def set_policy(self, info: Info, input: SetPolicyInput) -> PolicyPayload:
        ctx = info.context

        async def work(session):
            return await actions.set_policy(
                session, ctx.viewer, tenant_key(ctx, input.tenant_id), kind=input.kind, status=input.status,
                review_interval_months=input.review_interval_months, expected_version=input.expected_version,
                **given(input),
            )

        policy, errors = await perform(ctx, work)
        return PolicyPayload(policy=policy_node(policy) if policy else None, user_errors=errors)

    @strawberry.mutation(description="The policy of this kind reads as MISSING afterwards.")
    async def delete_policy(self, info: Info, input: DeletePolicyInput) -> PolicyPayload:
        ctx = info.context

        async def work(session):
            return await actions.delete_policy(session, ctx.viewer, tenant_key(ctx, input.tenant_id), input.kind)

        deleted, errors = await perform(ctx, work)
        return PolicyPayload(policy=missing_policy(input.kind) if deleted else None, user_errors=errors)
