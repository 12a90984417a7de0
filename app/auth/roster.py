"""Each practice's ACTIVE tenants, kept in the process while the practice's roster counter holds.

Why: an admin's requests need the practice's tenant set (to answer `sees`), and reading 5,000 ids
on every request made an admin's `me` cost what a portfolio does. The authentication statement
reads the practice's roster counter (app/db/versions.py), which every write to the practice's
tenants rows bumps in the same commit and which never goes down, and sends the ids only when the
counter differs from the one the set here was read at: exact, not time-based, and one statement.
"""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, select

from app.tenants.models import Tenant, TenantStatus

UNKNOWN = -1  # no counter is negative: the ids are always sent


def active_in(practice_id):
    """A tenant of the practice that is ACTIVE (`practice_id`: a value or a column)."""
    return and_(Tenant.practice_id == practice_id, Tenant.status == TenantStatus.ACTIVE)


def practice_tenants(practice_id):
    """The ids of the practice's ACTIVE tenants, an array (`practice_id`: a value or a column)."""
    return func.array(select(Tenant.id).where(active_in(practice_id)).correlate_except(Tenant).scalar_subquery())


class Rosters:
    """practice -> (roster counter, its tenant set); caller (a user or an API key, by id) -> practice
    (neither ever changes practice)."""

    def __init__(self) -> None:
        self._sets: dict[uuid.UUID, tuple[int, frozenset[uuid.UUID]]] = {}
        self._practice_of: dict[uuid.UUID, uuid.UUID] = {}

    def known(self, practice_id: uuid.UUID | None) -> int:
        """The counter the set kept for the practice was read at; UNKNOWN if none is kept."""
        kept = self._sets.get(practice_id) if practice_id else None
        return kept[0] if kept else UNKNOWN

    def known_for(self, caller_id: uuid.UUID) -> int:
        return self.known(self._practice_of.get(caller_id))

    def resolve(self, practice_id: uuid.UUID, counter: int, ids, caller_id: uuid.UUID | None = None
                ) -> frozenset[uuid.UUID] | None:
        """The set at `counter`: `ids` when the statement sent them (kept from now on), else the kept
        one if it is at that counter; None when neither (another request replaced it meanwhile)."""
        if caller_id is not None:
            self._practice_of[caller_id] = practice_id
        if ids is not None:
            tenant_ids = frozenset(ids)
            self._sets[practice_id] = (counter, tenant_ids)
            return tenant_ids
        kept = self._sets.get(practice_id)
        return kept[1] if kept and kept[0] == counter else None
