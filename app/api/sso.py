"""Single sign-on: the practice's OpenID Connect provider (practice admins only)."""

from __future__ import annotations

import strawberry

from app.api.context import Info
from app.api.errors import UserError
from app.api.mutations import perform
from app.settings import Settings
from app.sso import actions, flow
from app.tenants.models import Practice


@strawberry.type(description="The practice's OpenID Connect provider; its client secret is never shown.")
class OidcProvider:
    issuer: str
    client_id: str
    allowed_domains: list[str]
    login_url: str = strawberry.field(description="Where staff start signing in (give it to them, or link it).")
    redirect_uri: str = strawberry.field(description="The redirect URI to register with the identity provider.")


@strawberry.input
class SetOidcProviderInput:
    issuer: str = strawberry.field(description="The issuer identifier, https://; discovery starts from it.")
    client_id: str
    client_secret: str | None = strawberry.field(default=None, description="Required the first time; left out, kept.")
    allowed_domains: list[str] = strawberry.field(description="Email domains whose verified addresses may sign in.")


@strawberry.type
class OidcProviderPayload:
    provider: OidcProvider | None
    user_errors: list[UserError]


@strawberry.type
class RemoveOidcProviderPayload:
    removed: bool
    user_errors: list[UserError]


def provider_node(settings: Settings, slug: str, row) -> OidcProvider:
    return OidcProvider(issuer=row.issuer, client_id=row.client_id, allowed_domains=list(row.allowed_domains),
                        login_url=f"{settings.public_url.rstrip('/')}/auth/oidc/{slug}/login",
                        redirect_uri=flow.redirect_uri(settings, slug))


async def _shaped(session, ctx, row) -> OidcProvider | None:
    if row is None:
        return None
    practice = await session.get(Practice, ctx.viewer.practice_id)
    return provider_node(ctx.services.settings, practice.slug, row)


@strawberry.type
class SsoQueries:
    @strawberry.field(description="The practice's single sign-on; null when none is configured. Practice admins.")
    async def oidc_provider(self, info: Info) -> OidcProvider | None:
        ctx = info.context

        async def read(session):
            return await _shaped(session, ctx, await actions.provider_of(session, ctx.user_viewer()))

        return await ctx.db.read(read)


@strawberry.type
class SsoMutations:
    @strawberry.mutation(description="Practice admins: configure (or replace) the practice's OpenID Connect provider.")
    async def set_oidc_provider(self, info: Info, input: SetOidcProviderInput) -> OidcProviderPayload:
        ctx = info.context

        async def work(session):
            row = await actions.set_provider(
                session, ctx.services.settings, ctx.user_viewer(), issuer=input.issuer, client_id=input.client_id,
                client_secret=input.client_secret, allowed_domains=input.allowed_domains)
            return await _shaped(session, ctx, row)

        provider, errors = await perform(ctx, work)
        return OidcProviderPayload(provider=provider, user_errors=errors)

    @strawberry.mutation(description="Practice admins: single sign-on off (staff sign in with their password again).")
    async def remove_oidc_provider(self, info: Info) -> RemoveOidcProviderPayload:
        ctx = info.context
        removed, errors = await perform(ctx, lambda s: actions.remove_provider(s, ctx.user_viewer()))
        return RemoveOidcProviderPayload(removed=bool(removed), user_errors=errors)
