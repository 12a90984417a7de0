"""Tenants, users, grants, API keys and login: types, queries and mutations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry
from sqlalchemy import select

from app.api import ids
from app.api.budgets import Budget, tenant_budget
from app.api.context import Context, Info
from app.api.decisions import DecisionConnection, tenant_decisions
from app.api.deliveries import ReportDelivery, tenant_deliveries
from app.api.errors import UserError
from app.api.goals import BusinessGoal, StrategyProfile, tenant_goals, tenant_strategy
from app.api.health import HealthScore, tenant_health, tenant_health_history
from app.api.lifecycle import (
    AssetConnection,
    AssetKind,
    LifecycleQuarter,
    LifecycleStatus,
    tenant_assets,
    tenant_forecast,
)
from app.api.lists import Listing, child_connection
from app.api.mutations import UPDATE_INPUT, given, perform
from app.api.node import Node, from_row, resolve_node, resolves
from app.api.pagination import Connection
from app.api.permissions import require_admin, tenant_key
from app.api.planning import (
    InitiativeConnection,
    InitiativeOrder,
    InitiativeStatus,
    RoadmapQuarter,
    tenant_initiatives,
    tenant_roadmap,
)
from app.api.policies import Policy, tenant_policies
from app.api.reports import ExecutiveReport, tenant_report
from app.api.risks import RiskConnection, RiskOrder, RiskStatus, tenant_risks
from app.api.scalars import Month
from app.api.standards import Review, ReviewConnection, latest_review, tenant_reviews
from app.api.steering import SteeringMeeting, next_meeting, tenant_meetings
from app.api.tickets import TicketMonth, tenant_ticket_metrics
from app.api.users import Role, User, user_node
from app.api.vendors import Vendor, tenant_vendors
from app.auth import apikeys
from app.auth.login import login as do_login
from app.auth.principal import Principal
from app.db.scope import among
from app.errors import NotFound
from app.tenants import actions
from app.tenants.models import Role as RoleModel
from app.tenants.models import Tenant as TenantRow
from app.tenants.models import TenantStatus
from app.tenants.models import User as UserRow

TENANTS = TenantRow.__table__


def active(t):
    """Offboarded tenants are not answered by any read (the tenants table `t` or an alias of it)."""
    return t.c.status == TenantStatus.ACTIVE


@strawberry.type
class Tenant(Node):
    id: strawberry.ID
    version: int
    name: str
    slug: str
    industry: str | None
    employee_count: int
    fiscal_year_start_month: int
    currency: str
    tenant_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The score of `month`; the latest computed when omitted.")
    async def health(self, info: Info, month: Month | None = None) -> HealthScore | None:
        return await tenant_health(info.context, self.tenant_id, month)

    @strawberry.field
    async def health_history(
        self, info: Info, from_: Annotated[Month, strawberry.argument(name="from")], to: Month
    ) -> list[HealthScore]:
        return await tenant_health_history(info.context, self.tenant_id, from_, to)

    @strawberry.field
    async def initiatives(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[InitiativeStatus] | None = None,
        order_by: InitiativeOrder | None = None,
    ) -> InitiativeConnection:
        return await tenant_initiatives(info.context, self.tenant_id, first, after, status, order_by)

    @strawberry.field(description="The roadmap of a fiscal year (2000..2100) by the tenant's fiscal quarters: the four in order, empty ones too.")
    async def roadmap(self, info: Info, fiscal_year: int) -> list[RoadmapQuarter]:
        return await tenant_roadmap(info.context, self.tenant_id, fiscal_year, self.fiscal_year_start_month)

    @strawberry.field
    async def budget(self, info: Info, fiscal_year: int) -> Budget | None:
        return await tenant_budget(info.context, self.tenant_id, fiscal_year)

    @strawberry.field
    async def ticket_metrics(
        self, info: Info, from_: Annotated[Month, strawberry.argument(name="from")], to: Month
    ) -> list[TicketMonth]:
        return await tenant_ticket_metrics(info.context, self.tenant_id, self.employee_count, from_, to)

    @strawberry.field
    async def risks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[RiskStatus] | None = None,
        min_score: int | None = None,
        order_by: RiskOrder | None = None,
    ) -> RiskConnection:
        return await tenant_risks(info.context, self.tenant_id, first, after, status, min_score, order_by)

    @strawberry.field(description="One per PolicyKind, MISSING where none is recorded.")
    async def policies(self, info: Info) -> list[Policy]:
        return await tenant_policies(info.context, self.tenant_id)

    @strawberry.field
    async def vendors(self, info: Info) -> list[Vendor]:
        return await tenant_vendors(info.context, self.tenant_id)

    @strawberry.field
    async def steering_meetings(
        self,
        info: Info,
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
    ) -> list[SteeringMeeting]:
        return await tenant_meetings(info.context, self.tenant_id, from_, to)

    @strawberry.field
    async def next_steering_meeting(self, info: Info) -> SteeringMeeting | None:
        return await next_meeting(info.context, self.tenant_id)

    @strawberry.field
    async def assets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[LifecycleStatus] | None = None,
        kind: list[AssetKind] | None = None,
    ) -> AssetConnection:
        return await tenant_assets(info.context, self.tenant_id, first, after, status, kind)

    @strawberry.field(description="Assets in service reaching their replacement date in each fiscal quarter from the current one; the first also holds those already past.")
    async def lifecycle_forecast(self, info: Info, quarters: int | None = 8) -> list[LifecycleQuarter]:
        return await tenant_forecast(info.context, self.tenant_id, self.fiscal_year_start_month, quarters)

    @strawberry.field(description="The business goals of the fiscal year given (every year when left out): newest year first, then by title.")
    async def goals(self, info: Info, fiscal_year: int | None = None) -> list[BusinessGoal]:
        return await tenant_goals(info.context, self.tenant_id, fiscal_year)

    @strawberry.field(description="The client's strategy profile; the empty profile until one is set.")
    async def strategy(self, info: Info) -> StrategyProfile:
        return await tenant_strategy(info.context, self.tenant_id)

    @strawberry.field(description="The decision register: every decision of the client, newest first.")
    async def decisions(self, info: Info, first: int | None = None, after: str | None = None) -> DecisionConnection:
        return await tenant_decisions(info.context, self.tenant_id, first, after)

    @strawberry.field(description="Newest first.")
    async def reviews(self, info: Info, first: int | None = None, after: str | None = None) -> ReviewConnection:
        return await tenant_reviews(info.context, self.tenant_id, first, after)

    @strawberry.field(description="The latest COMPLETED review.")
    async def latest_review(self, info: Info) -> Review | None:
        return await latest_review(info.context, self.tenant_id)

    @strawberry.field(description="The monthly executive report of `month` (default: the last full month); "
                                  "null when that month has no health score. Not for API keys (FORBIDDEN).")
    async def executive_report(self, info: Info, month: Month | None = None) -> ExecutiveReport | None:
        return await tenant_report(info.context, self.tenant_id, month)

    @strawberry.field(description="The executive report's mails, newest first (at most 100). Practice admins and CIOs.")
    async def report_deliveries(self, info: Info, first: int | None = 20) -> list[ReportDelivery]:
        return await tenant_deliveries(info.context, self.tenant_id, first)


def tenant_node(row) -> Tenant:
    return from_row(Tenant, row, id=ids.encode("Tenant", row.id), tenant_id=row.id)


async def load_tenants(ctx: Context, tenant_ids: list[uuid.UUID]) -> list[Tenant | None]:
    """`TenantByIdLoader`, limited to the viewer's tenants: any other id loads as None."""

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(
            select(TENANTS).where(TENANTS.c.id.in_(keys), active(TENANTS))
        )
        found = {r.id: tenant_node(r) for r in rows}
        return [found.get(k) for k in keys]

    visible = [t for t in tenant_ids if ctx.viewer.sees(t)]
    loaded = dict(zip(visible, await ctx.loader("TenantById", batch).load_many(visible), strict=True))
    return [loaded.get(t) for t in tenant_ids]


@resolves("Tenant")
async def _tenant_by_key(ctx, key: ids.Key):
    return (await load_tenants(ctx, [key.id]))[0]


@resolves("User")
async def _user_by_key(ctx, key: ids.Key):
    viewer = ctx.viewer
    if key.id != viewer.id and not viewer.is_admin:
        return None
    row = (await ctx.db.rows(select(UserRow.__table__).where(UserRow.id == key.id, UserRow.practice_id == viewer.practice_id)))
    return user_node(row[0]) if row else None


@strawberry.type
class TenantConnection(Connection[Tenant]):
    pass


def tenant_list(t, viewer: Principal, search: str | None) -> Listing:
    """`Query.tenants` on the tenants table `t` (or an alias): the viewer's active tenants, by name.

    The search matches anywhere in the name, `%` and `_` taken literally. The key holds the
    visible set (a whole practice: the practice), so a cursor is void once the viewer's tenants change.
    Unsearched, a whole practice's list is its roster (`Principal.tenant_ids`: its ACTIVE tenants,
    the rows these conditions select), so its total is known without counting thousands of rows.
    """
    term = (search or "").strip()[:100]
    where = [*among(t, viewer.tenant_ids, viewer.practice_scope), active(t)]
    if term:
        where.append(t.c.name.ilike("%" + term.replace("%", r"\%").replace("_", r"\_") + "%"))
    scope = viewer.scope_key
    total = len(viewer.tenant_ids) if viewer.whole_practice and not term else None
    return Listing(where, tenant_order(t), (term, scope if viewer.whole_practice else tuple(sorted(scope))), total)


def tenant_order(t) -> list:
    """Tenants by name (then id), on the tenants table `t` or an alias."""
    return [t.c.name, t.c.id]


@strawberry.type
class TenantQueries:
    @strawberry.field
    async def me(self, info: Info) -> User:
        viewer = info.context.user_viewer()
        return await _user_by_key(info.context, ids.Key("User", None, viewer.id))

    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info.context, id)

    @strawberry.field
    async def tenants(
        self, info: Info, first: int | None = None, after: str | None = None, search: str | None = None
    ) -> TenantConnection:
        ctx = info.context
        listing = tenant_list(TENANTS, ctx.viewer, search)

        return await child_connection(
            ctx,
            name="tenants",
            parent_id=ctx.viewer.practice_id,
            first=first,
            after=after,
            filters=listing.key,
            make_query=lambda _parents: select(TENANTS).where(*listing.where),
            parent_column=TENANTS.c.practice_id,
            order_by=listing.order,
            make_node=tenant_node,
            connection=TenantConnection,
            total=listing.total,
        )

    @strawberry.field
    async def tenant(self, info: Info, id: strawberry.ID) -> Tenant | None:
        key = ids.decode_as(id, "Tenant")
        return (await load_tenants(info.context, [key.id]))[0] if key else None


# ---- mutations -------------------------------------------------------------------------------

@strawberry.input
class LoginInput:
    email: str
    password: str
    otp: str | None = strawberry.field(default=None, description="With two-factor sign-in in force: a current code of the "
                                       "authenticator app, or one of the unused recovery codes.")


@strawberry.type
class LoginPayload:
    access_token: str | None
    user: User | None
    user_errors: list[UserError]


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    password: str
    role: Role
    tenant_ids: list[strawberry.ID] | None = None


@strawberry.type
class UserPayload:
    user: User | None
    user_errors: list[UserError]


@strawberry.input
class CreateApiKeyInput:
    name: str
    tenant_ids: list[strawberry.ID] | None = None


@strawberry.type
class ApiKeyPayload:
    key: str | None
    user_errors: list[UserError]


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiKeyPayload:
    revoked_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.input
class CreateTenantInput:
    name: str
    employee_count: int
    industry: str | None = None
    fiscal_year_start_month: int | None = 1
    currency: str | None = "USD"


@strawberry.input(description=UPDATE_INPUT)
class UpdateTenantInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: strawberry.Maybe[str | None]
    employee_count: strawberry.Maybe[int | None]
    industry: strawberry.Maybe[str | None]


@strawberry.type
class TenantPayload:
    tenant: Tenant | None
    user_errors: list[UserError]


@strawberry.input
class TenantAccessInput:
    user_id: strawberry.ID
    tenant_id: strawberry.ID


@strawberry.type
class TenantAccessPayload:
    user: User | None
    tenant: Tenant | None
    user_errors: list[UserError]


def practice_tenant_ids(ctx, values: list[strawberry.ID] | None, field: str = "tenantIds") -> list[uuid.UUID] | None:
    """Decode ids of tenants the (admin) viewer sees; NOT_FOUND if any is not one."""
    if values is None:
        return None
    return [tenant_key(ctx, v, field) for v in values]


@strawberry.type
class TenantMutations:
    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context

        async def work(session):
            return await do_login(session, ctx.services.redis, ctx.services.settings, input.email, input.password, ctx.client_address,
                                  input.otp)

        result, errors = await perform(ctx, work, anonymous=True)
        if errors:
            return LoginPayload(access_token=None, user=None, user_errors=errors)
        token, user = result
        return LoginPayload(access_token=token, user=user_node(user), user_errors=[])

    @strawberry.mutation(description="Practice admins only.")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        ctx = info.context
        require_admin(ctx)
        viewer = ctx.viewer
        tenant_ids = practice_tenant_ids(ctx, input.tenant_ids) or []
        user, errors = await perform(
            ctx,
            lambda s: actions.create_user(
                s, viewer.practice_id, email=input.email, name=input.name, password=input.password,
                role=RoleModel(input.role.value), tenant_ids=tenant_ids, actor=viewer,
            ),
        )
        return UserPayload(user=user_node(user) if user else None, user_errors=errors)

    @strawberry.mutation(description="Practice admins only. The key is shown once.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        ctx = info.context
        require_admin(ctx)
        tenant_ids = practice_tenant_ids(ctx, input.tenant_ids)
        result, errors = await perform(ctx, lambda s: apikeys.create_api_key(s, ctx.viewer, input.name, tenant_ids))
        return ApiKeyPayload(key=result[1] if result else None, user_errors=errors)

    @strawberry.mutation(description="Practice admins only. The key stops working at once.")
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        ctx = info.context
        require_admin(ctx)
        key = ids.decode_as(input.id, "ApiKey")

        async def work(session):
            if key is None:
                raise NotFound("API key not found.", ["id"])
            return await apikeys.revoke_api_key(session, ctx.viewer, key.id)

        revoked, errors = await perform(ctx, work)
        return RevokeApiKeyPayload(revoked_id=input.id if revoked else None, user_errors=errors)

    @strawberry.mutation(description="Practice admins and CIOs.")
    async def create_tenant(self, info: Info, input: CreateTenantInput) -> TenantPayload:
        ctx = info.context
        tenant, errors = await perform(
            ctx,
            lambda s: actions.create_tenant(
                s, ctx.user_viewer(), name=input.name, employee_count=input.employee_count, industry=input.industry,
                fiscal_year_start_month=input.fiscal_year_start_month or 1, currency=input.currency or "USD",
            ),
        )
        return TenantPayload(tenant=tenant_node(tenant) if tenant else None, user_errors=errors)

    @strawberry.mutation
    async def update_tenant(self, info: Info, input: UpdateTenantInput) -> TenantPayload:
        ctx = info.context

        async def work(session):
            tenant_id = tenant_key(ctx, input.id, "id")
            return await actions.update_tenant(
                session, ctx.viewer, tenant_id, expected_version=input.expected_version, **given(input)
            )

        tenant, errors = await perform(ctx, work)
        return TenantPayload(tenant=tenant_node(tenant) if tenant else None, user_errors=errors)

    @strawberry.mutation(description="Practice admins only: give a CIO or client executive access to a tenant.")
    async def grant_tenant_access(self, info: Info, input: TenantAccessInput) -> TenantAccessPayload:
        return await _change_access(info, input, actions.grant_access)

    @strawberry.mutation(description="Practice admins only.")
    async def revoke_tenant_access(self, info: Info, input: TenantAccessInput) -> TenantAccessPayload:
        return await _change_access(info, input, actions.revoke_access)


async def _change_access(info: Info, input: TenantAccessInput, action) -> TenantAccessPayload:
    ctx = info.context
    require_admin(ctx)

    async def work(session):
        user = ids.decode_as(input.user_id, "User")
        if user is None:
            raise NotFound("User not found.", ["userId"])
        tenant_id = tenant_key(ctx, input.tenant_id)
        await action(session, ctx.viewer, user.id, tenant_id)
        return user.id, tenant_id

    result, errors = await perform(ctx, work)
    if errors:
        return TenantAccessPayload(user=None, tenant=None, user_errors=errors)
    user = await _user_by_key(ctx, ids.Key("User", None, result[0]))
    tenant = (await load_tenants(ctx, [result[1]]))[0]
    return TenantAccessPayload(user=user, tenant=tenant, user_errors=[])

