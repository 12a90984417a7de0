"""Configuring a practice's OpenID Connect provider (practice admins only, audited).

The issuer must be an `https://` URL (plain `http://` only on the loopback interface outside
production: the test suite's issuer, a local identity provider in development); it is what
discovery starts from and what ID tokens must name. The client secret is encrypted like the
integration secrets and never read back through the API.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app import validation as v
from app.audit.actions import record, snapshot
from app.auth.principal import Principal
from app.errors import Forbidden, Invalid, NotFound
from app.integrations.secrets import encrypt
from app.settings import Settings
from app.sso.models import OidcProvider

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DOMAINS = 20


def reachable(settings: Settings, url: str) -> bool:
    """An address fcio may call at an identity provider: https://, or http:// on loopback outside
    production. The issuer and every endpoint its metadata names are held to it."""
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK and not settings.is_production
    return (parts.scheme == "https" or loopback) and bool(parts.hostname) and not parts.fragment


def _issuer(settings: Settings, issuer: str) -> str:
    issuer = v.text(issuer, "issuer", max_length=500).rstrip("/")
    if not reachable(settings, issuer) or urlsplit(issuer).query:
        raise Invalid("issuer must be an https:// URL such as https://login.microsoftonline.com/<tenant>/v2.0.",
                      ["issuer"])
    return issuer


def _domains(domains: list[str]) -> list[str]:
    cleaned = v.texts(domains, "allowedDomains", MAX_DOMAINS, 253)
    for index, domain in enumerate(cleaned):
        if not DOMAIN.match(domain.lower()):
            raise Invalid(f"{domain!r} is not an email domain such as example.com.", ["allowedDomains", str(index)])
    if not cleaned:
        raise Invalid("Name at least one email domain whose users may sign in.", ["allowedDomains"])
    return sorted({d.lower() for d in cleaned})


async def set_provider(session: AsyncSession, settings: Settings, actor: Principal, *, issuer: str, client_id: str,
                       client_secret: str | None, allowed_domains: list[str]) -> OidcProvider:
    """The actor's practice's provider, created or replaced; a left-out secret keeps the stored one."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins configure single sign-on.")
    fields = {"issuer": _issuer(settings, issuer), "client_id": v.text(client_id, "clientId", max_length=500),
              "allowed_domains": _domains(allowed_domains)}
    provider = await session.get(OidcProvider, actor.practice_id)
    before = snapshot(provider, exclude=("client_secret_encrypted",)) if provider else None
    if client_secret is not None:
        fields["client_secret_encrypted"] = encrypt(settings.secret_key, v.text(client_secret, "clientSecret", max_length=500))
    elif provider is None:
        raise Invalid("clientSecret is required the first time.", ["clientSecret"])
    if provider is None:
        provider = OidcProvider(practice_id=actor.practice_id, **fields)
        session.add(provider)
    else:
        for name, value in fields.items():
            setattr(provider, name, value)
    await session.flush()
    await record(session, actor, actor.tenant_ids, "practice.oidc_provider", "OidcProvider", actor.practice_id, before,
                 snapshot(provider, exclude=("client_secret_encrypted",)))
    return provider


async def provider_of(session: AsyncSession, actor: Principal) -> OidcProvider | None:
    """The actor's practice's provider (practice admins only)."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins read the single sign-on configuration.")
    return await session.get(OidcProvider, actor.practice_id)


async def remove_provider(session: AsyncSession, actor: Principal) -> bool:
    """Single sign-on off for the actor's practice; NOT_FOUND when it was not on."""
    provider = await provider_of(session, actor)
    if provider is None:
        raise NotFound("Single sign-on is not configured.")
    before = snapshot(provider, exclude=("client_secret_encrypted",))
    await session.delete(provider)
    await session.flush()
    await record(session, actor, actor.tenant_ids, "practice.oidc_provider_remove", "OidcProvider", actor.practice_id,
                 before, None)
    return True
