"""Offboarding a client: `exportTenant` (all of its data as JSON) and `offboardTenant` (remove it).

Both are practice-admin mutations: an export is a write in the sense that matters (the whole of
a client's data leaves the system), so it is audited like one.
"""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from app.api.context import Info
from app.api.errors import UserError
from app.api.integrations import IdInput
from app.api.mutations import perform
from app.api.permissions import require_admin, tenant_key
from app.tenants import export


@strawberry.type
class TenantExportPayload:
    export: JSON | None = strawberry.field(description="Every table holding the tenant's rows: {format, version, tenantId, tables, standards} (the practice's standards its reviews name).")
    user_errors: list[UserError]


@strawberry.input
class OffboardTenantInput:
    id: strawberry.ID
    confirm_slug: str = strawberry.field(description="The tenant's slug, to confirm which client is removed.")


@strawberry.type
class OffboardTenantPayload:
    offboarded_id: strawberry.ID | None
    rows_removed: int = strawberry.field(description="Rows removed across every table.")
    user_errors: list[UserError]


@strawberry.type
class OffboardingMutations:
    @strawberry.mutation(description="Practice admins only: a complete JSON export of one tenant's data.")
    async def export_tenant(self, info: Info, input: IdInput) -> TenantExportPayload:
        ctx = info.context
        require_admin(ctx)
        document, errors = await perform(
            ctx, lambda s: export.export_tenant(s, ctx.viewer, tenant_key(ctx, input.id, "id"))
        )
        return TenantExportPayload(export=document, user_errors=errors)

    @strawberry.mutation(description="Practice admins only: remove every row of the tenant. Export it first.")
    async def offboard_tenant(self, info: Info, input: OffboardTenantInput) -> OffboardTenantPayload:
        ctx = info.context
        require_admin(ctx)
        counts, errors = await perform(
            ctx, lambda s: export.offboard_tenant(s, ctx.viewer, tenant_key(ctx, input.id, "id"), input.confirm_slug)
        )
        return OffboardTenantPayload(
            offboarded_id=input.id if counts is not None else None,
            rows_removed=sum(counts.values()) if counts else 0,
            user_errors=errors,
        )
