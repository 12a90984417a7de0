"""The caller of an action: a user, an API key or the system (workers, CLI).

A principal's visible tenant set is computed once (per request, per job) and every read and write
goes through it: it is what the tenant scope sets in the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.tenants.models import Role


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "api_key" | "system"
    id: uuid.UUID | None
    practice_id: uuid.UUID | None
    role: Role | None
    tenant_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # The change counter of its tenants' data when it was resolved, when asked for (app/db/versions.py).
    data_version: int | None = None

    @classmethod
    def system(cls, tenant_ids=(), practice_id: uuid.UUID | None = None) -> Principal:
        """Workers and the CLI: scoped to the tenants of the batch at hand, never to everything."""
        return cls("system", None, practice_id, None, frozenset(tenant_ids))

    def sees(self, tenant_id: uuid.UUID) -> bool:
        return tenant_id in self.tenant_ids

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == Role.PRACTICE_ADMIN

    @property
    def can_write_tenant_data(self) -> bool:
        """Admins and CIOs write tenant data; executives and API keys do not (keys: tickets only)."""
        return self.kind == "system" or (self.kind == "user" and self.role in (Role.PRACTICE_ADMIN, Role.CIO))

    @property
    def can_write_tickets(self) -> bool:
        return self.can_write_tenant_data or self.kind == "api_key"

    def with_tenant(self, tenant_id: uuid.UUID) -> Principal:
        return Principal(self.kind, self.id, self.practice_id, self.role, self.tenant_ids | {tenant_id})
