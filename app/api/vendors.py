"""Vendors: `Vendor`, `Tenant.vendors`, and create / update / delete.

`relationship` is a String in the contract; the values are COMMODITY and PARTNER, accepted in any
case and answered in upper case.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import strawberry
from sqlalchemy import select

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lists import row_by_key, rows_by_tenant
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.permissions import object_key, tenant_key
from app.vendors import actions
from app.vendors import models as m

VENDORS = m.Vendor.__table__


@strawberry.type
class Vendor(Node):
    id: strawberry.ID
    version: int
    name: str
    relationship: str = strawberry.field(description="COMMODITY or PARTNER.")
    annual_cost: Decimal | None
    contract_end: dt.date | None


def vendor_node(row) -> Vendor:
    return from_row(
        Vendor, row, id=ids.encode("Vendor", row.id, row.tenant_id), relationship=m.VendorRelationship(row.relationship).value
    )


@resolves("Vendor")
async def _vendor_by_key(ctx: Context, key: ids.Key) -> Vendor | None:
    row = await row_by_key(ctx, m.Vendor, key.tenant_id, key.id)
    return vendor_node(row) if row else None


def vendor_order(t) -> list:
    """`Tenant.vendors` by name (then id), on the vendors table `t` or an alias: both read paths."""
    return [t.c.name, t.c.id]


async def tenant_vendors(ctx: Context, tenant_id: uuid.UUID) -> list[Vendor]:
    rows = await rows_by_tenant(
        ctx, "VendorsByTenant", tenant_id,
        lambda keys: select(VENDORS).where(VENDORS.c.tenant_id.in_(keys)).order_by(*vendor_order(VENDORS)),
    )
    return [vendor_node(r) for r in rows]


@strawberry.input
class CreateVendorInput:
    tenant_id: strawberry.ID
    name: str
    relationship: str = strawberry.field(description="COMMODITY or PARTNER (any case).")
    annual_cost: Decimal | None = None
    contract_end: dt.date | None = None


@strawberry.input(description=UPDATE_INPUT)
class UpdateVendorInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: strawberry.Maybe[str | None]
    relationship: strawberry.Maybe[str | None]
    annual_cost: strawberry.Maybe[Decimal | None]
    contract_end: strawberry.Maybe[dt.date | None]


@strawberry.type
class VendorPayload:
    vendor: Vendor | None
    user_errors: list[UserError]


@strawberry.type
class VendorMutations:
    @strawberry.mutation
    async def create_vendor(self, info: Info, input: CreateVendorInput) -> VendorPayload:
        ctx = info.context

        async def work(session):
            return await actions.create_vendor(
                session, ctx.viewer, tenant_key(ctx, input.tenant_id), name=input.name,
                relationship=input.relationship, annual_cost=input.annual_cost, contract_end=input.contract_end,
            )

        vendor, errors = await perform(ctx, work)
        return VendorPayload(vendor=vendor_node(vendor) if vendor else None, user_errors=errors)

    @strawberry.mutation
    async def update_vendor(self, info: Info, input: UpdateVendorInput) -> VendorPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "Vendor")
            return await actions.update_vendor(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version, **given(input)
            )

        vendor, errors = await perform(ctx, work)
        return VendorPayload(vendor=vendor_node(vendor) if vendor else None, user_errors=errors)

    @strawberry.mutation
    async def delete_vendor(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "Vendor", actions.delete_vendor)
