"""The caller of an action: a user, an API key or the system (workers, CLI).

A principal's visible tenant set is computed once (per request, per job) and every read and write
goes through it: it is what the tenant scope sets in the transaction. A principal that sees its
whole practice (an admin, an API key without a tenant list) still has the set, for `sees`, but
its transaction and its queries name the practice instead of listing the set (app/db/scope.py):
what a request costs then does not grow with the practice.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field

from app.tenants.models import Role


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "api_key" | "system" | "link" (a mailed report link's reader, app/reports/links.py)
    id: uuid.UUID | None
    practice_id: uuid.UUID | None
    role: Role | None
    tenant_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # The change counter of its tenants' data when it was resolved, when asked for (app/db/versions.py).
    data_version: int | None = None
    # Set when it sees its whole practice: the practice's roster counter (app/db/versions.py) its
    # `tenant_ids` (every ACTIVE tenant of the practice) were read at. Its scopes name the practice.
    roster: int | None = None
    # Signed in with a token good only for enrolling in two-factor sign-in (app/auth/enrollment.py).
    enroll_only: bool = False
    # Each listed tenant's own change counter, read with `data_version` (None: only the total).
    tenant_versions: dict[uuid.UUID, int] | None = field(default=None, compare=False, hash=False)

    @classmethod
    def system(cls, tenant_ids=(), practice_id: uuid.UUID | None = None) -> Principal:
        """Workers and the CLI: scoped to the tenants of the batch at hand, never to everything."""
        return cls("system", None, practice_id, None, frozenset(tenant_ids))

    def sees(self, tenant_id: uuid.UUID) -> bool:
        return tenant_id in self.tenant_ids

    @property
    def whole_practice(self) -> bool:
        return self.roster is not None

    @property
    def practice_scope(self) -> uuid.UUID | None:
        """The practice its scopes name instead of listing its tenants, if it sees a whole one."""
        return self.practice_id if self.whole_practice else None

    def scope(self, *extra: uuid.UUID) -> tuple[frozenset[uuid.UUID], uuid.UUID | None]:
        """The transaction scope (app/db/scope.py) that reaches its tenants and `extra` ones: the ids
        to list and the practice to name. A whole practice is named, never listed."""
        if self.whole_practice:
            return frozenset(extra), self.practice_id
        return self.tenant_ids | set(extra), None

    @property
    def listed_tenants(self) -> frozenset[uuid.UUID] | None:
        """Its tenant set when its scopes list it; None when they name a whole practice."""
        return None if self.whole_practice else self.tenant_ids

    def version_of(self, tenant_ids: frozenset[uuid.UUID] | None) -> Hashable | None:
        """The change counter of what an answer reading `tenant_ids` (None: all it sees) read, when it
        was resolved with one: only those tenants' own counters, when it has them, so a write to
        one tenant leaves the stored answers about the others. Tagged with what it sums, so that
        two different sums are never taken for each other."""
        if self.data_version is None:
            return None
        if tenant_ids is None or self.tenant_versions is None:
            return "all", self.data_version
        return "tenants", sum(self.tenant_versions.get(t, 0) for t in tenant_ids)

    @property
    def scope_key(self) -> Hashable:
        """What its visible set is, for keys of stored answers and list tokens: the exact set, or
        the practice at its roster counter (which moves whenever the set does)."""
        return ("practice", self.practice_id, self.roster) if self.whole_practice else self.tenant_ids

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == Role.PRACTICE_ADMIN

    @property
    def can_write_tenant_data(self) -> bool:
        """Admins and CIOs write tenant data; executives and API keys do not (keys: the bulk pushes only)."""
        return self.kind == "system" or (self.kind == "user" and self.role in (Role.PRACTICE_ADMIN, Role.CIO))

    @property
    def can_decide(self) -> bool:
        """The client's decisions (`decideInitiative`, `acceptRisk`): admins and CIOs, and client
        executives for the one tenant they see (their only writes, API.md "Who may do what"). A
        decision names who took it, so only a signed-in user may: not an API key, not the system."""
        return self.kind == "user" and self.role in (Role.PRACTICE_ADMIN, Role.CIO, Role.CLIENT_EXECUTIVE)

    @property
    def can_push_data(self) -> bool:
        """The bulk pushes of ticket and asset data (`ingestTickets`, `ingestAssets`): API keys too."""
        return self.can_write_tenant_data or self.kind == "api_key"
