"""Login, tokens, API keys and `me`: who may get in, and with what."""

import asyncio
import datetime as dt
import time

import jwt
from sqlalchemy import select, text, update

from app.auth import access, tokens
from app.auth.apikeys import create_api_key
from app.auth.models import ApiKey
from app.tenants.models import Role
from tests.apitools import PASSWORD

ME = "{ me { id email role } }"


async def test_login_then_me(api, world):
    practice = await world.practice()
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)
    me = (await api.data(ME, token=token))["me"]
    assert me["email"] == admin.email and me["role"] == "PRACTICE_ADMIN"


async def test_no_token_is_unauthenticated_everywhere_but_login(api):
    body = await api.post("{ me { id } tenants { totalCount } }")
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}


async def test_unknown_email_and_wrong_password_answer_the_same(api, world):
    practice = await world.practice()
    user = await world.user(practice, Role.CIO)
    q = "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code message field } } }"
    wrong = (await api.data(q, {"i": {"email": user.email, "password": "not the password"}}))["login"]
    unknown = (await api.data(q, {"i": {"email": "nobody-" + user.email, "password": "not the password"}}))["login"]
    assert wrong == unknown and wrong["accessToken"] is None and wrong["userErrors"][0]["code"] == "INVALID"


async def test_forged_and_expired_tokens_are_refused(api, world, services):
    practice = await world.practice()
    user = await world.user(practice, Role.PRACTICE_ADMIN)
    secret = services.settings.secret_key
    now = int(time.time())
    claims = {"sub": str(user.id), "iat": now, "exp": now + 60, "iss": tokens.ISSUER, "aud": tokens.AUDIENCE}
    forged = [
        jwt.encode(claims, "another-key-another-key-another-key!!", algorithm="HS256"),
        jwt.encode({**claims, "exp": now - 10}, secret, algorithm="HS256"),
        jwt.encode({**claims, "aud": "someone-else"}, secret, algorithm="HS256"),
        jwt.encode({**claims, "iss": "someone-else"}, secret, algorithm="HS256"),
        jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret, algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, secret, algorithm="HS512"),
    ]
    for token in forged:
        body = await api.post(ME, token=token)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", token
    assert (await api.data(ME, token=tokens.issue(secret, user.id, 60)))["me"]["email"] == user.email


async def test_login_is_rate_limited_per_email(api, world):
    practice = await world.practice()
    user = await world.user(practice, Role.CIO)
    q = "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }"
    codes = []
    for _ in range(12):
        result = (await api.data(q, {"i": {"email": user.email, "password": "wrong password!"}}))["login"]
        codes.append(result["userErrors"][0]["code"])
    assert codes[:10] == ["INVALID"] * 10 and codes[10:] == ["LIMIT", "LIMIT"]
    # Even the right password waits out the window: the attacker cannot tell.
    right = (await api.data(q, {"i": {"email": user.email, "password": PASSWORD}}))["login"]
    assert right["userErrors"][0]["code"] == "LIMIT"


async def test_api_key_reads_its_tenants_and_is_revocable(api, world):
    practice = await world.practice()
    mine, other = await world.tenant(practice), await world.tenant(practice)
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    token = await api.login(admin.email)
    created = (await api.data(
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key userErrors { code } } }",
        {"i": {"name": "psa sync", "tenantIds": [_tenant_gid(mine)]}}, token,
    ))["createApiKey"]
    key = created["key"]
    assert key.startswith("fcio_")
    seen = (await api.data("{ tenants { totalCount edges { node { name } } } }", token=key))["tenants"]
    assert [e["node"]["name"] for e in seen["edges"]] == [mine.name]
    assert other.name not in str(seen)
    # A key cannot manage anything.
    body = await api.post('mutation { createTenant(input: {name: "X", employeeCount: 3}) { tenant { id } } }', token=key)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    key_id = _key_gid(key)
    revoked = (await api.data(
        "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { revokedId userErrors { code } } }",
        {"i": {"id": key_id}}, token,
    ))["revokeApiKey"]
    assert revoked["userErrors"] == []
    body = await api.post("{ tenants { totalCount } }", token=key)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _tenant_gid(tenant):
    from app.api import ids

    return ids.encode("Tenant", tenant.id)


def _key_gid(key: str):
    import uuid

    from app.api import ids

    return ids.encode("ApiKey", uuid.UUID(hex=key.split("_")[1]))


async def test_a_key_due_for_its_last_use_mark_does_not_wait_for_another_request_holding_it(world):
    """The first request of a minute marks the key's last use and holds its row until it commits
    (a PSA push makes many round trips); the key's other requests skip the mark, never wait."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.principal(await world.user(practice, Role.PRACTICE_ADMIN))
    async with world.scope(()) as session:
        key, token = await create_api_key(session, admin, "psa sync", [tenant.id])
    first_resolved, second_resolved = asyncio.Event(), asyncio.Event()

    async def first():
        async with world.scope(()) as session:
            assert await access.resolve(session, "unused-jwt-secret", f"Bearer {token}") is not None
            first_resolved.set()
            await asyncio.wait_for(second_resolved.wait(), 10)  # times out if the second waits for us

    async def second():
        await first_resolved.wait()
        async with world.scope(()) as session:
            assert await access.resolve(session, "unused-jwt-secret", f"Bearer {token}") is not None
        second_resolved.set()

    await asyncio.gather(first(), second())
    async with world.scope(()) as session:
        used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key.id))
    assert used is not None and dt.datetime.now(dt.UTC) - used < dt.timedelta(minutes=1)


async def test_a_key_with_a_wrong_secret_or_revoked_leaves_its_transaction_unscoped(world):
    """The key's one authenticating statement sets the scope only for a key it finds good: with a
    wrong secret, or once revoked, the transaction lists no tenant and names no practice."""
    practice = await world.practice()
    tenant = await world.tenant(practice)
    admin = await world.principal(await world.user(practice, Role.PRACTICE_ADMIN))
    async with world.scope(()) as session:
        listed, listed_token = await create_api_key(session, admin, "psa sync", [tenant.id])
        whole, whole_token = await create_api_key(session, admin, "whole practice", None)

    async def scope_after(token: str):
        async with world.scope(()) as session:
            principal = await access.resolve(session, "unused-jwt-secret", f"Bearer {token}")
            settings = (await session.execute(text("select current_setting('app.tenant_ids', true), "
                                                   "current_setting('app.practice_id', true)"))).one()
        return principal, tuple(settings)

    for token, scope in ((listed_token, ("{" + str(tenant.id) + "}", "")), (whole_token, ("", str(practice.id)))):
        principal, settings = await scope_after(token)
        assert principal is not None and principal.sees(tenant.id) and settings == scope
        assert await scope_after(token[:-2] + ("xy" if not token.endswith("xy") else "zw")) == (None, ("", ""))
    async with world.scope(()) as session:
        await session.execute(update(ApiKey).where(ApiKey.id.in_([listed.id, whole.id])).values(revoked_at=dt.datetime.now(dt.UTC)))
    for token in (listed_token, whole_token):
        assert await scope_after(token) == (None, ("", ""))
