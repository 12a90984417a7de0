"""Vendors: who supplies the tenant's IT, as a commodity supplier or a strategic partner.

The API takes the relationship as a string (API.md); it is matched case-insensitively against
the model's values, and anything else is INVALID with the allowed values in the message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.auth.principal import Principal
from app.errors import Invalid
from app.vendors.models import Vendor, VendorRelationship


def parse_relationship(value: str | VendorRelationship | None) -> VendorRelationship | None:
    if value is None:
        return None
    try:
        return VendorRelationship(str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(r.value for r in VendorRelationship)
        raise Invalid(f"relationship must be one of {allowed}; got {str(value)[:50]!r}.", ["relationship"]) from None


CHECKS = {
    "name": lambda value: v.text(value, "name"),
    "relationship": parse_relationship,
    "annual_cost": lambda value: v.money(value, "annualCost"),
    "contract_end": None,
}


async def create_vendor(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    name: str,
    relationship: str | VendorRelationship,
    annual_cost: Decimal | None = None,
    contract_end: dt.date | None = None,
) -> Vendor:
    fields = v.checked(
        Vendor, CHECKS, dict(name=name, relationship=relationship, annual_cost=annual_cost, contract_end=contract_end)
    )
    return await editing.create(session, actor, tenant_id, Vendor(**fields))


async def update_vendor(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    vendor_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> Vendor:
    """Set the fields given (the names of `CHECKS`); a None clears one, INVALID for a required one."""
    vendor, _ = await editing.update(
        session, actor, Vendor, tenant_id, vendor_id, v.checked(Vendor, CHECKS, changes), expected_version
    )
    return vendor


async def delete_vendor(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, vendor_id: uuid.UUID) -> Vendor:
    """Budget lines that named this vendor keep existing, unlinked (foreign key SET NULL)."""
    return await editing.delete(session, actor, Vendor, tenant_id, vendor_id)
