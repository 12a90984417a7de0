"""Two-factor sign-in: enrolling and turning off a TOTP app, and the practice's two-factor policy."""

from __future__ import annotations

import strawberry

from app.api.context import Info
from app.api.errors import UserError
from app.api.mutations import perform
from app.api.tenants import UserPayload
from app.api.users import Role, user_node
from app.auth import twofactor
from app.tenants.models import Role as RoleModel


@strawberry.type
class TotpEnrollmentPayload:
    secret: str | None
    otpauth_uri: str | None
    user_errors: list[UserError]


@strawberry.input
class ConfirmTotpInput:
    code: str


@strawberry.type
class TotpConfirmPayload:
    recovery_codes: list[str] | None
    user_errors: list[UserError]


@strawberry.input
class DisableTotpInput:
    code: str


@strawberry.input
class SetTwoFactorPolicyInput:
    required_roles: list[Role] = strawberry.field(
        description="Users of these roles must sign in with two factors; an empty list requires it of none.")


@strawberry.type
class TwoFactorPolicy:
    required_roles: list[Role]


@strawberry.type
class TwoFactorPolicyPayload:
    policy: TwoFactorPolicy | None
    user_errors: list[UserError]


def policy_of(roles) -> TwoFactorPolicy | None:
    return None if roles is None else TwoFactorPolicy(required_roles=[Role(r.value) for r in roles])


@strawberry.type
class TwoFactorQueries:
    @strawberry.field(description="The roles the viewer's practice requires two-factor sign-in of. Signed-in users.")
    async def two_factor_policy(self, info: Info) -> TwoFactorPolicy:
        ctx = info.context
        return policy_of(await ctx.db.read(lambda s: twofactor.policy(s, ctx.user_viewer())))


@strawberry.type
class TwoFactorMutations:
    @strawberry.mutation(description="A new secret, not in force until confirmed")
    async def enroll_totp(self, info: Info) -> TotpEnrollmentPayload:
        ctx = info.context
        result, errors = await perform(ctx, lambda s: twofactor.enroll(s, ctx.services.settings, ctx.user_viewer()))
        secret, uri = result or (None, None)
        return TotpEnrollmentPayload(secret=secret, otpauth_uri=uri, user_errors=errors)

    @strawberry.mutation(description="In force from now on; recovery codes shown once")
    async def confirm_totp(self, info: Info, input: ConfirmTotpInput) -> TotpConfirmPayload:
        ctx = info.context
        codes, errors = await perform(ctx, lambda s: twofactor.confirm(
            s, ctx.services.redis, ctx.services.settings, ctx.user_viewer(), input.code))
        return TotpConfirmPayload(recovery_codes=codes, user_errors=errors)

    @strawberry.mutation(description="Needs a current code")
    async def disable_totp(self, info: Info, input: DisableTotpInput) -> UserPayload:
        ctx = info.context
        user, errors = await perform(ctx, lambda s: twofactor.disable(
            s, ctx.services.redis, ctx.services.settings, ctx.user_viewer(), input.code))
        return UserPayload(user=user_node(user) if user else None, user_errors=errors)

    @strawberry.mutation(description="Practice admins: the roles that must sign in with two factors (audited).")
    async def set_two_factor_policy(self, info: Info, input: SetTwoFactorPolicyInput) -> TwoFactorPolicyPayload:
        ctx = info.context
        roles, errors = await perform(ctx, lambda s: twofactor.set_policy(
            s, ctx.user_viewer(), [RoleModel(r.value) for r in input.required_roles]))
        return TwoFactorPolicyPayload(policy=policy_of(roles), user_errors=errors)
