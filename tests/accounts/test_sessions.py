"""`revokeSessions`: every token issued to the viewer so far stops at once, and only the viewer's."""

from __future__ import annotations

from app.auth import tokens
from app.tenants.models import Role
from tests.accounts.conftest import REVOKE
from tests.apitools import error_codes


async def test_revoking_ends_every_token_of_the_viewer_and_no_one_else(accounts, scene):
    first, second = await accounts.api.login(scene.cio.email), await accounts.api.login(scene.cio.email)
    colleague = await accounts.api.login(scene.executive.email)
    assert (await accounts.api.data(REVOKE, token=first))["revokeSessions"] == {"ok": True, "userErrors": []}
    for token in (first, second):
        assert error_codes(await accounts.me(token)) == ["UNAUTHENTICATED"]
    assert (await accounts.me(colleague))["data"]["me"]["email"] == scene.executive.email
    fresh = await accounts.api.login(scene.cio.email)
    assert (await accounts.me(fresh))["data"]["me"]["email"] == scene.cio.email


async def test_a_token_of_an_older_or_a_made_up_generation_is_refused(accounts, scene, services):
    secret = services.settings.secret_key
    await accounts.api.data(REVOKE, token=await accounts.api.login(scene.cio.email))
    for generation in (0, 2, -1):
        forged = tokens.issue(secret, scene.cio.id, 600, generation=generation)
        assert error_codes(await accounts.me(forged)) == ["UNAUTHENTICATED"], generation
    assert (await accounts.me(tokens.issue(secret, scene.cio.id, 600, generation=1)))["data"]["me"]


async def test_revoking_is_audited_in_the_viewers_tenants(accounts, scene, world):
    await accounts.api.data(REVOKE, token=accounts.api.token(scene.executive))
    assert (await accounts.api.audit_actions(scene.tenant))[-1] == "user.sessions_revoke"
    assert "user.sessions_revoke" not in await accounts.api.audit_actions(scene.other)


async def test_an_api_key_cannot_revoke_and_signed_out_callers_must_sign_in(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    key = (await accounts.api.data("mutation { createApiKey(input: {name: \"psa\"}) { key } }",
                                   token=accounts.api.token(admin)))["createApiKey"]["key"]
    assert error_codes(await accounts.api.post(REVOKE, token=key)) == ["FORBIDDEN"]
    assert error_codes(await accounts.api.post(REVOKE)) == ["UNAUTHENTICATED"]
