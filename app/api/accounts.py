"""Accounts: invitations, password reset and revoking sessions (app/accounts)."""

from __future__ import annotations

import datetime as dt

import strawberry

from app.accounts import invitations, resets, sessions
from app.api.context import Info
from app.api.errors import UserError
from app.api.mutations import perform
from app.api.permissions import require_admin
from app.api.tenants import LoginPayload, practice_tenant_ids
from app.api.users import Role, user_node
from app.tenants.models import Role as RoleModel


@strawberry.type
class Invitation:
    email: str
    role: Role
    expires_at: dt.datetime


@strawberry.input
class InviteUserInput:
    email: str
    name: str
    role: Role
    tenant_ids: list[strawberry.ID] | None = None


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None
    user_errors: list[UserError]


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.type
class RequestPasswordResetPayload:
    ok: bool
    user_errors: list[UserError]


@strawberry.input
class ResetPasswordInput:
    token: str
    password: str


@strawberry.type
class RevokeSessionsPayload:
    ok: bool
    user_errors: list[UserError]


def signed_in(result, errors: list[UserError]) -> LoginPayload:
    if errors:
        return LoginPayload(access_token=None, user=None, user_errors=errors)
    token, user = result
    return LoginPayload(access_token=token, user=user_node(user), user_errors=[])


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Practice admins only: mails a link valid 72 hours; re-inviting voids the earlier one.")
    async def invite_user(self, info: Info, input: InviteUserInput) -> InvitationPayload:
        ctx = info.context
        require_admin(ctx)
        tenant_ids = practice_tenant_ids(ctx, input.tenant_ids) or []
        invitation, errors = await perform(ctx, lambda s: invitations.invite_user(
            s, ctx.services.redis, ctx.viewer, email=input.email, name=input.name, role=RoleModel(input.role.value),
            tenant_ids=tenant_ids))
        shown = invitation and Invitation(email=invitation.email, role=invitation.role, expires_at=invitation.expires_at)
        return InvitationPayload(invitation=shown or None, user_errors=errors)

    @strawberry.mutation(description="The link's token and a new password: signed in with the invitation's role and tenants.")
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> LoginPayload:
        ctx = info.context
        return signed_in(*await perform(ctx, lambda s: invitations.accept_invitation(
            s, ctx.services.redis, ctx.services.settings, input.token, input.password, ctx.client_address),
            anonymous=True))

    @strawberry.mutation(description="The same answer whether or not the address has an account.")
    async def request_password_reset(self, info: Info, input: RequestPasswordResetInput) -> RequestPasswordResetPayload:
        ctx = info.context
        _, errors = await perform(ctx, lambda s: resets.request_password_reset(
            ctx.services.redis, input.email, ctx.client_address), anonymous=True)
        return RequestPasswordResetPayload(ok=not errors, user_errors=errors)

    @strawberry.mutation(description="The link's token (1 hour, once) and a new password; every other session ends.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> LoginPayload:
        ctx = info.context
        return signed_in(*await perform(ctx, lambda s: resets.reset_password(
            s, ctx.services.redis, ctx.services.settings, input.token, input.password, ctx.client_address),
            anonymous=True))

    @strawberry.mutation(description="Every token issued to the viewer so far stops working, this one too.")
    async def revoke_sessions(self, info: Info) -> RevokeSessionsPayload:
        ctx = info.context
        viewer = ctx.user_viewer()
        _, errors = await perform(ctx, lambda s: sessions.revoke_sessions(s, viewer))
        return RevokeSessionsPayload(ok=not errors, user_errors=errors)
