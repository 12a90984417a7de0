"""The audit trail of a tenant, for practice admins and CIOs."""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from app.api import ids
from app.api.context import Info
from app.api.lists import child_connection
from app.api.node import from_row
from app.api.pagination import Connection
from app.api.permissions import require_staff, tenant_key
from app.audit.models import AuditEvent as EventRow

COLUMNS = EventRow.__table__.c


@strawberry.type
class AuditEvent:
    id: strawberry.ID
    actor_type: str = strawberry.field(description="user | api_key | system")
    actor_id: strawberry.ID | None
    action: str
    object_type: str
    object_id: str | None
    before: JSON | None
    after: JSON | None
    created_at: dt.datetime


def event_node(row) -> AuditEvent:
    actor = None
    if row.actor_id:
        actor = ids.encode("User" if row.actor_type == "user" else "ApiKey", row.actor_id)
    return from_row(AuditEvent, row, id=ids.encode("AuditEvent", row.id, row.tenant_id), actor_id=actor)


@strawberry.type
class AuditEventConnection(Connection[AuditEvent]):
    pass


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Newest first. Practice admins and CIOs.")
    async def audit_events(
        self, info: Info, tenant_id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> AuditEventConnection:
        ctx = info.context
        require_staff(ctx)
        tenant = tenant_key(ctx, tenant_id)
        return await child_connection(
            ctx, name="auditEvents", parent_id=tenant, first=first, after=after, filters=(),
            make_query=lambda keys: select(EventRow.__table__).where(COLUMNS.tenant_id.in_(keys)),
            parent_column=COLUMNS.tenant_id, order_by=[COLUMNS.created_at.desc(), COLUMNS.id.desc()],
            make_node=event_node, connection=AuditEventConnection,
        )
