"""The checks every tenant write makes before it changes anything, the same in every area.

They live below the areas so that tenants, risks, budgets and the rest import them from one place
and none of them imports another area's actions for its mechanics.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.errors import Conflict, Forbidden, NotFound
from app.tenants.models import Tenant, TenantStatus


async def visible_tenant(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, if the actor may see it; otherwise exactly what a missing tenant looks like."""
    tenant = None
    if actor.sees(tenant_id):
        tenant = await session.get(Tenant, tenant_id)
    if tenant is None or tenant.status != TenantStatus.ACTIVE:
        raise NotFound("Tenant not found.", ["tenantId"])
    return tenant


def require_writer(actor: Principal) -> None:
    if not actor.can_write_tenant_data:
        raise Forbidden("This account may read tenant data but not change it.")


def require_decider(actor: Principal) -> None:
    """The two writes a client executive may make (app/decisions/actions.py); every other write is `require_writer`."""
    if not actor.can_decide:
        raise Forbidden("This account may not record the client's decisions.")


def check_version(obj, expected_version: int | None) -> None:
    """Optimistic concurrency: a stale `expectedVersion` is a CONFLICT, not a silent overwrite."""
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(
            f"This object was changed by someone else (version {obj.version}, you had {expected_version}). "
            "Reload it and try again.",
            ["expectedVersion"],
        )
