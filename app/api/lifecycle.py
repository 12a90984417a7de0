"""The technology lifecycle: `Asset`, `Tenant.assets`, `Tenant.lifecycleForecast`, and the asset writes.

`status` is as of today (UTC) and `replaceBy` as set or derived, both by app/lifecycle/rules.py:
in Python for a node, in SQL for the `status` filter and the forecast.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import strawberry
from sqlalchemy import select

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError, user_errors
from app.api.lists import Listing, child_connection, row_by_key
from app.api.mutations import UPDATE_INPUT, DeleteInput, DeletePayload, delete_object, given, perform
from app.api.node import Node, from_row, resolves
from app.api.pagination import Connection
from app.api.permissions import object_key, tenant_key
from app.lifecycle import actions
from app.lifecycle import models as m
from app.lifecycle.rules import asset_replacement, lifecycle_status, replacement_date
from app.tickets.actions import MAX_BATCH

AssetKind = strawberry.enum(m.AssetKind, name="AssetKind")
LifecycleStatus = strawberry.enum(m.LifecycleStatus, name="LifecycleStatus")

ASSETS = m.Asset.__table__


@strawberry.type
class Asset(Node):
    id: strawberry.ID
    version: int
    name: str
    kind: AssetKind
    manufacturer: str | None
    model: str | None
    serial_number: str | None
    purchased_on: dt.date | None
    warranty_end: dt.date | None
    end_of_support: dt.date | None
    retired_on: dt.date | None
    replace_by: dt.date | None = strawberry.field(description="As set, or derived (DESIGN.md, formula v2).")
    replacement_cost: Decimal | None
    status: LifecycleStatus = strawberry.field(
        description="As of today (UTC), from replaceBy; a retired asset keeps one but counts in no forecast or score."
    )
    source: str = strawberry.field(description='"manual", or the PSA / RMM it came from.')
    external_id: str | None


def asset_node(row) -> Asset:
    kind = m.AssetKind(row.kind)
    replace_by = replacement_date(kind, row.replace_by, row.end_of_support, row.warranty_end, row.purchased_on)
    return from_row(
        Asset, row, id=ids.encode("Asset", row.id, row.tenant_id), kind=kind, replace_by=replace_by,
        status=lifecycle_status(replace_by, actions.today()),
    )


@strawberry.type
class AssetConnection(Connection[Asset]):
    pass


@strawberry.type
class LifecycleQuarter:
    quarter: str = strawberry.field(description='The fiscal quarter, "2027-Q1" (a fiscal year is named by the year it starts in).')
    assets: int
    replacement_cost: Decimal


@resolves("Asset")
async def _asset_by_key(ctx: Context, key: ids.Key) -> Asset | None:
    row = await row_by_key(ctx, m.Asset, key.tenant_id, key.id)
    return asset_node(row) if row else None


def asset_list(t, status: list[str] | None, kind: list[str] | None, day: dt.date) -> Listing:
    """`Tenant.assets` on the assets table `t` (or an alias): by name, filtered by status on `day` and kind."""
    statuses = tuple(sorted(status)) if status else None
    kinds = tuple(sorted(kind)) if kind else None
    where = []
    if statuses:
        where.append(lifecycle_status(asset_replacement(t), day).in_(statuses))
    if kinds:
        where.append(t.c.kind.in_(kinds))
    return Listing(where, [t.c.name, t.c.id], (statuses, kinds, day.isoformat() if statuses else None))


async def tenant_assets(ctx: Context, tenant_id: uuid.UUID, first, after, status, kind) -> AssetConnection:
    listing = asset_list(
        ASSETS, [s.value for s in status] if status else None, [k.value for k in kind] if kind else None, actions.today()
    )
    return await child_connection(
        ctx, name="assets", parent_id=tenant_id, first=first, after=after, filters=listing.key,
        make_query=lambda tenant_ids: select(ASSETS).where(ASSETS.c.tenant_id.in_(tenant_ids), *listing.where),
        parent_column=ASSETS.c.tenant_id, order_by=listing.order, make_node=asset_node, connection=AssetConnection,
    )


async def tenant_forecast(
    ctx: Context, tenant_id: uuid.UUID, start_month: int, quarters: int | None
) -> list[LifecycleQuarter]:
    """The tenant's quarters from the current one, batched over the tenants asking for as many quarters."""
    quarters, day = actions.check_quarters(quarters), actions.today()
    first, labels = actions.forecast_quarters(day, start_month, quarters)

    async def batch(keys: list) -> list:
        found: dict = {}
        for r in await ctx.db.rows(actions.forecast_query(actions.quarter_starts(dict(keys)), day, quarters)):
            found[(r.tenant_id, r.quarter)] = r
        return [
            [(found[(t, i)].assets, found[(t, i)].cost) if (t, i) in found else (0, Decimal("0.00")) for i in range(quarters)]
            for t, _ in keys
        ]

    figures = await ctx.loader(("LifecycleForecast", day, quarters), batch).load((tenant_id, first))
    return [LifecycleQuarter(quarter=label, assets=count, replacement_cost=Decimal(cost).quantize(Decimal("0.01")))
            for label, (count, cost) in zip(labels, figures, strict=True)]


@strawberry.input
class CreateAssetInput:
    tenant_id: strawberry.ID
    name: str
    kind: AssetKind
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    purchased_on: dt.date | None = None
    warranty_end: dt.date | None = None
    end_of_support: dt.date | None = None
    retired_on: dt.date | None = None
    replace_by: dt.date | None = None
    replacement_cost: Decimal | None = None


@strawberry.input(description=UPDATE_INPUT)
class UpdateAssetInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: strawberry.Maybe[str | None]
    kind: strawberry.Maybe[AssetKind | None]
    manufacturer: strawberry.Maybe[str | None]
    model: strawberry.Maybe[str | None]
    serial_number: strawberry.Maybe[str | None]
    purchased_on: strawberry.Maybe[dt.date | None]
    warranty_end: strawberry.Maybe[dt.date | None]
    end_of_support: strawberry.Maybe[dt.date | None]
    retired_on: strawberry.Maybe[dt.date | None]
    replace_by: strawberry.Maybe[dt.date | None]
    replacement_cost: strawberry.Maybe[Decimal | None]


@strawberry.type
class AssetPayload:
    asset: Asset | None
    user_errors: list[UserError]


@strawberry.input
class AssetInput:
    external_id: str
    name: str
    kind: AssetKind
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    purchased_on: dt.date | None = None
    warranty_end: dt.date | None = None
    end_of_support: dt.date | None = None
    retired_on: dt.date | None = None
    replacement_cost: Decimal | None = None


@strawberry.input
class IngestAssetsInput:
    tenant_id: strawberry.ID
    source: str = strawberry.field(description='The PSA / RMM the assets come from; "manual" is reserved.')
    assets: list[AssetInput] = strawberry.field(description="At most 1,000.")


@strawberry.type
class IngestAssetsPayload:
    accepted: int = strawberry.field(description="Assets valid and stored (or already as sent).")
    user_errors: list[UserError] = strawberry.field(description='The bad asset\'s field: ["assets", "3", "retiredOn"].')


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation
    async def create_asset(self, info: Info, input: CreateAssetInput) -> AssetPayload:
        ctx = info.context

        async def work(session):
            fields = {name: value for name, value in vars(input).items() if name != "tenant_id"}
            return await actions.create_asset(
                session, ctx.viewer, tenant_key(ctx, input.tenant_id), **fields | {"kind": input.kind.value}
            )

        asset, errors = await perform(ctx, work)
        return AssetPayload(asset=asset_node(asset) if asset else None, user_errors=errors)

    @strawberry.mutation
    async def update_asset(self, info: Info, input: UpdateAssetInput) -> AssetPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "Asset")
            return await actions.update_asset(
                session, ctx.viewer, key.tenant_id, key.id, expected_version=input.expected_version,
                **given(input, kind=lambda kind: kind.value),
            )

        asset, errors = await perform(ctx, work)
        return AssetPayload(asset=asset_node(asset) if asset else None, user_errors=errors)

    @strawberry.mutation
    async def delete_asset(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await delete_object(info.context, input.id, "Asset", actions.delete_asset)

    @strawberry.mutation(description="API keys, admins and CIOs: upsert up to 1,000 assets by (source, externalId).")
    async def ingest_assets(self, info: Info, input: IngestAssetsInput) -> IngestAssetsPayload:
        ctx = info.context
        assets = [actions.PushedAsset(**vars(a) | {"kind": a.kind.value}) for a in input.assets[: MAX_BATCH + 1]]

        async def work(session):
            return await actions.ingest_assets(session, ctx.viewer, tenant_key(ctx, input.tenant_id), input.source, assets)

        result, errors = await perform(ctx, work)
        if result is None:
            return IngestAssetsPayload(accepted=0, user_errors=errors)
        return IngestAssetsPayload(
            accepted=result.accepted, user_errors=[e for error in result.errors for e in user_errors(error)]
        )
