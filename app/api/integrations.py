"""PSA integrations: create, change, disable, list with delivery counts; deliveries and replays."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.lifecycle import AssetKind
from app.api.mutations import UPDATE_INPUT, given, perform
from app.api.node import Node, resolves
from app.api.permissions import tenant_key
from app.api.tickets import TicketCategory
from app.errors import Invalid, NotFound
from app.guards import require_writer
from app.integrations import actions, processing
from app.integrations.models import DeliveryStatus as DeliveryStatusModel
from app.integrations.models import Integration as IntegrationRow
from app.integrations.models import PsaVendor as VendorModel

PsaVendor = strawberry.enum(VendorModel, name="PsaVendor")
DeliveryStatus = strawberry.enum(DeliveryStatusModel, name="DeliveryStatus")


@strawberry.type
class Integration(Node):
    id: strawberry.ID
    version: int
    vendor: PsaVendor
    name: str
    enabled: bool
    webhook_url: str = strawberry.field(description="Absolute URL of POST /integrations/{id}/webhook.")
    last_received_at: dt.datetime | None
    deliveries_received: int | None
    deliveries_rejected: int | None
    deliveries_failed: int | None


def integration_node(ctx: Context, row: IntegrationRow, summary=None) -> Integration:
    return Integration(
        id=ids.encode("Integration", row.id), version=row.version, vendor=row.vendor, name=row.name, enabled=row.enabled,
        webhook_url=actions.webhook_url(ctx.services.settings, row), last_received_at=row.last_received_at,
        deliveries_received=summary.received if summary else None,
        deliveries_rejected=summary.rejected if summary else None,
        deliveries_failed=summary.failed if summary else None,
    )


@resolves("Integration")
async def _integration_by_key(ctx: Context, key: ids.Key) -> Integration | None:
    row = await ctx.db.read(lambda s: s.get(IntegrationRow, key.id))
    return integration_node(ctx, row) if row and ctx.viewer.sees(row.tenant_id) and ctx.viewer.can_write_tenant_data else None


@strawberry.type
class WebhookDelivery:
    id: strawberry.ID
    status: DeliveryStatus
    received_at: dt.datetime
    processed_at: dt.datetime | None
    error: str | None
    attempts: int


def decode_integration(global_id: str) -> uuid.UUID:
    key = ids.decode_as(global_id, "Integration")
    if key is None:
        raise NotFound("Integration not found.", ["id"])  # the same answer as a missing one
    return key.id


@strawberry.type
class IntegrationQueries:
    @strawberry.field(description="Practice admins and the tenant's CIOs.")
    async def integrations(self, info: Info, tenant_id: strawberry.ID) -> list[Integration]:
        ctx = info.context
        tenant = tenant_key(ctx, tenant_id)
        require_writer(ctx.user_viewer())
        summaries = await ctx.db.read(lambda s: actions.list_integrations(s, ctx.viewer, tenant))
        return [integration_node(ctx, s.integration, s) for s in summaries]

    @strawberry.field(description="Newest first, at most 200.")
    async def webhook_deliveries(
        self, info: Info, integration_id: strawberry.ID, status: DeliveryStatus | None = None, first: int = 50
    ) -> list[WebhookDelivery]:
        ctx = info.context
        found = decode_integration(integration_id)
        rows = await ctx.db.read(lambda s: actions.list_deliveries(s, ctx.viewer, found, status, first))
        return [
            WebhookDelivery(
                id=ids.encode("WebhookDelivery", r.id, r.tenant_id), status=r.status, received_at=r.received_at,
                processed_at=r.processed_at, error=r.error, attempts=r.attempts,
            )
            for r in rows
        ]


@strawberry.input
class MappingRuleInput:
    field: str = strawberry.field(description="A vendor field, e.g. board, type, queue, tickettype.")
    equals: str
    category: TicketCategory


@strawberry.input
class AssetMappingRuleInput:
    field: str = strawberry.field(description="A vendor field, e.g. configurationType, configurationItemType, assettype.")
    equals: str
    kind: AssetKind


@strawberry.input
class CreateIntegrationInput:
    tenant_id: strawberry.ID
    vendor: PsaVendor
    name: str | None = None


@strawberry.input(description=UPDATE_INPUT)
class UpdateIntegrationInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: strawberry.Maybe[str | None]
    rules: strawberry.Maybe[list[MappingRuleInput] | None] = strawberry.field(description="null: no rules.")
    default_category: strawberry.Maybe[TicketCategory | None] = strawberry.field(
        description="The category of a ticket no rule matches; null: such a ticket fails."
    )
    asset_rules: strawberry.Maybe[list[AssetMappingRuleInput] | None] = strawberry.field(
        description="Checked before the PSA's usual type names; null: none."
    )
    default_asset_kind: strawberry.Maybe[AssetKind | None] = strawberry.field(
        description="The kind of an asset nothing matches (OTHER at first); null: such an asset fails."
    )


@strawberry.type
class IntegrationPayload:
    integration: Integration | None
    secret: str | None = strawberry.field(description="Shown once: Autotask's SecretKey, HaloPSA's Basic-auth password.")
    user_errors: list[UserError]


@strawberry.input
class IdInput:
    id: strawberry.ID


@strawberry.type
class ReapplyMappingPayload:
    changed: int
    user_errors: list[UserError]


@strawberry.type
class ReplayPayload:
    status: DeliveryStatus | None
    error: str | None
    user_errors: list[UserError]


@strawberry.type
class IntegrationMutations:
    @strawberry.mutation(description="Practice admins and the tenant's CIOs.")
    async def create_integration(self, info: Info, input: CreateIntegrationInput) -> IntegrationPayload:
        ctx = info.context

        async def work(session):
            return await actions.create_integration(
                session, ctx.user_viewer(), tenant_key(ctx, input.tenant_id), input.vendor,
                secret_key=ctx.services.settings.secret_key, name=input.name,
            )

        result, errors = await perform(ctx, work)
        if result is None:
            return IntegrationPayload(integration=None, secret=None, user_errors=errors)
        return IntegrationPayload(integration=integration_node(ctx, result[0]), secret=result[1], user_errors=[])

    @strawberry.mutation
    async def update_integration(self, info: Info, input: UpdateIntegrationInput) -> IntegrationPayload:
        ctx = info.context
        changes = given(
            input,
            rules=lambda rules: [{"when": {r.field: [r.equals]}, "category": r.category.value} for r in rules],
            default_category=lambda category: category.value,
            asset_rules=lambda rules: [{"when": {r.field: [r.equals]}, "kind": r.kind.value} for r in rules],
            default_asset_kind=lambda kind: kind.value,
        )

        async def work(session):
            try:
                return await actions.update_integration(
                    session, ctx.user_viewer(), decode_integration(input.id), expected_version=input.expected_version,
                    **changes,
                )
            except Invalid as error:
                # A rule is stored as {"when": {field: [value]}}; the input names the rule's `field`.
                if error.field and error.field[:1] in (["rules"], ["assetRules"]) and error.field[2:3] == ["when"]:
                    error.field = [*error.field[:2], "field"]
                raise

        row, errors = await perform(ctx, work)
        return IntegrationPayload(integration=integration_node(ctx, row) if row else None, secret=None, user_errors=errors)

    @strawberry.mutation
    async def disable_integration(self, info: Info, input: IdInput) -> IntegrationPayload:
        ctx = info.context
        row, errors = await perform(ctx, lambda s: actions.disable_integration(s, ctx.user_viewer(), decode_integration(input.id)))
        return IntegrationPayload(integration=integration_node(ctx, row) if row else None, secret=None, user_errors=errors)

    @strawberry.mutation(description="Re-categorise stored tickets with the current rules; recomputes affected months.")
    async def reapply_integration_mapping(self, info: Info, input: IdInput) -> ReapplyMappingPayload:
        ctx = info.context
        result, errors = await perform(ctx, lambda s: actions.reapply_mapping(s, ctx.user_viewer(), decode_integration(input.id)))
        return ReapplyMappingPayload(changed=result.changed if result else 0, user_errors=errors)

    @strawberry.mutation(description="Process a failed delivery again, after its mapping was fixed.")
    async def replay_webhook_delivery(self, info: Info, input: IdInput) -> ReplayPayload:
        ctx = info.context

        async def work(session):
            viewer = ctx.user_viewer()  # before the id: an API key is refused whatever id it sends
            key = ids.decode_as(input.id, "WebhookDelivery")
            if key is None or key.tenant_id is None:
                raise NotFound("Delivery not found.", ["id"])
            return await processing.replay_delivery(session, viewer, key.tenant_id, key.id)

        row, errors = await perform(ctx, work)
        return ReplayPayload(status=row.status if row else None, error=row.error if row else None, user_errors=errors)
