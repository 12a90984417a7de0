"""Setting integrations up: who may, what is stored, what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db.scope import tenant_session
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.integrations import actions, autotask, keys, secrets
from app.integrations.models import Integration, PsaVendor
from app.tenants.models import Role
from tests.integrations.conftest import SECRET_KEY, make_integration


async def test_a_cio_of_the_tenant_creates_an_integration_with_a_secret_shown_once(services, world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    cio = await world.principal(await world.user(practice, Role.CIO, [tenant]))

    async with tenant_session(services.sessionmaker, cio.tenant_ids) as session:
        integration, secret = await actions.create_integration(
            session, cio, tenant.id, "autotask", secret_key=SECRET_KEY
        )
        audits = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "integration.create"))

    assert len(secret) >= 40 and secret.encode() not in integration.secret_encrypted
    assert secrets.decrypt(SECRET_KEY, integration.secret_encrypted) == secret
    assert actions.webhook_url(services.settings, integration).endswith(f"/integrations/{integration.id}/webhook")
    assert audits == 1


async def test_another_tenants_id_is_not_found_and_nothing_is_written(services, world):
    practice, other_practice = await world.practice(), await world.practice()
    mine, theirs = await world.tenant(practice), await world.tenant(other_practice)
    admin = await world.principal(await world.user(practice, Role.PRACTICE_ADMIN))
    assert admin.sees(mine.id) and not admin.sees(theirs.id)

    async with tenant_session(services.sessionmaker, admin.tenant_ids) as session:
        with pytest.raises(NotFound):
            await actions.create_integration(session, admin, theirs.id, PsaVendor.HALOPSA, secret_key=SECRET_KEY)
    async with tenant_session(services.sessionmaker, ()) as session:
        assert await session.scalar(select(func.count()).select_from(Integration).where(Integration.tenant_id == theirs.id)) == 0


async def test_another_practices_integration_cannot_be_changed_disabled_or_listed(services, world, client_tenant):
    integration, _ = await make_integration(services, client_tenant, PsaVendor.HALOPSA)
    practice = await world.practice()
    outsider = await world.principal(await world.user(practice, Role.PRACTICE_ADMIN, []))

    async with tenant_session(services.sessionmaker, outsider.tenant_ids) as session:
        for attempt in (
            actions.update_integration(session, outsider, integration.id, name="Mine now"),
            actions.disable_integration(session, outsider, integration.id),
            actions.list_integrations(session, outsider, client_tenant.tenant.id),
            actions.reapply_mapping(session, outsider, integration.id),
        ):
            with pytest.raises(NotFound):
                await attempt
    async with tenant_session(services.sessionmaker, ()) as session:
        stored = await session.get(Integration, integration.id)
    assert stored.enabled and stored.name == "Halopsa" and stored.version == 1


async def test_a_client_executive_may_not_set_up_integrations(services, world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    executive = await world.principal(await world.user(practice, Role.CLIENT_EXECUTIVE, [tenant]))

    async with tenant_session(services.sessionmaker, executive.tenant_ids) as session:
        with pytest.raises(Forbidden):
            await actions.create_integration(session, executive, tenant.id, PsaVendor.CONNECTWISE, secret_key=SECRET_KEY)


async def test_rules_are_validated_against_the_vendors_fields(services, client_tenant):
    with pytest.raises(Invalid) as error:
        await make_integration(services, client_tenant, PsaVendor.CONNECTWISE,
                               rules=[{"when": {"queue": ["Alerts"]}, "category": "ALERT"}])
    assert error.value.field == ["rules", "0", "when", "queue"]
    with pytest.raises(Invalid):
        await make_integration(services, client_tenant, PsaVendor.CONNECTWISE, key_origins=["https://x.test/path"])


async def test_one_enabled_integration_per_vendor_and_tenant(services, client_tenant):
    await make_integration(services, client_tenant, PsaVendor.AUTOTASK)
    with pytest.raises(Conflict):
        await make_integration(services, client_tenant, PsaVendor.AUTOTASK)


def test_a_tampered_or_foreign_secret_blob_does_not_decrypt():
    blob = secrets.encrypt(SECRET_KEY, "s3cret")
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(SECRET_KEY, blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt("another-deployment-secret-key-0123456789", blob)


def test_autotask_escaped_form_matches_dot_net_escaping():
    raw = '{"Title":"Café & <b> \\"quoted\\" a+b 🙂","Id":1}'
    assert autotask.escaped_form(raw) == (
        '{"Title":"Caf\\u00E9 \\u0026 \\u003Cb\\u003E \\u0022quoted\\u0022 a\\u002Bb \\uD83D\\uDE42","Id":1}'
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api-na.myconnectwise.net/v4_6_release/apis/3.0/system/callbackkey?id=1", True),
        ("http://api-na.myconnectwise.net/key", False),
        ("https://myconnectwise.net.evil.test/key", False),
        ("https://user@api-na.myconnectwise.net/key", False),
        ("https://api-na.myconnectwise.net:8443/key", False),
        ("https://evilmyconnectwise.net/key", False),
    ],
)
def test_key_urls_are_matched_against_origins(url, ok):
    assert keys.allowed(url, keys.DEFAULT_KEY_ORIGINS) is ok
