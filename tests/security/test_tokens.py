"""The token matrix: every forged, stale or foreign credential is refused; none is accepted.

There is no action to disable or delete a user yet (an operator does it in SQL), so those two
rows are set up the way an operator would, through the ORM.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
import uuid

import jwt
import pytest
from sqlalchemy import delete, update

from app.api import ids
from app.auth import tokens
from app.db.scope import tenant_session
from app.tenants.models import Grant, Role, User
from tests.conftest import World

WHO = "{ me { id } }"
KEY_READ = "query($t: ID!) { tenants { totalCount } tenant(id: $t) { name } }"


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def claims(user_id, **overrides) -> dict:
    now = int(time.time())
    base = {"sub": str(user_id), "iat": now, "exp": now + 600, "iss": tokens.ISSUER, "aud": tokens.AUDIENCE}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def forged_user_tokens(secret: str, user_id) -> dict[str, str]:
    good = claims(user_id)
    return {
        "alg none": jwt.encode(good, None, algorithm="none"),
        "alg none, hand-made, empty signature": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(good)}.",
        "alg NONE upper case": f"{b64({'alg': 'NONE', 'typ': 'JWT'})}.{b64(good)}.",
        "HS256 with another key": jwt.encode(good, "another-secret-another-secret-another-secret", algorithm="HS256"),
        "HS512 with the right key": jwt.encode(good, secret, algorithm="HS512"),
        "RS256 header, HMAC body": f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(good)}."
                                   + jwt.encode(good, secret, algorithm="HS256").split(".")[2],
        "wrong aud": jwt.encode(claims(user_id, aud="another-api"), secret, algorithm="HS256"),
        "no aud": jwt.encode(claims(user_id, aud=None), secret, algorithm="HS256"),
        "wrong iss": jwt.encode(claims(user_id, iss="someone-else"), secret, algorithm="HS256"),
        "missing exp": jwt.encode(claims(user_id, exp=None), secret, algorithm="HS256"),
        "past exp": jwt.encode(claims(user_id, exp=int(time.time()) - 5), secret, algorithm="HS256"),
        "exp as a string": jwt.encode(claims(user_id, exp="never"), secret, algorithm="HS256"),
        "unknown user": jwt.encode(claims(uuid.uuid4()), secret, algorithm="HS256"),
        "sub not a uuid": jwt.encode(claims("admin"), secret, algorithm="HS256"),
        "signature stripped": jwt.encode(good, secret, algorithm="HS256").rsplit(".", 1)[0] + ".",
        "payload swapped under a valid signature": (
            lambda t: f"{t.split('.')[0]}.{b64(claims(uuid.uuid4()))}.{t.split('.')[2]}"
        )(jwt.encode(good, secret, algorithm="HS256")),
        "garbage": "not-a-token",
        "empty": "",
    }


async def set_user(sessionmaker, user_id, *, disable: bool = False, remove: bool = False) -> None:
    async with tenant_session(sessionmaker, ()) as session:
        if disable:
            await session.execute(update(User).where(User.id == user_id).values(disabled_at=dt.datetime.now(dt.UTC)))
        if remove:
            await session.execute(delete(Grant).where(Grant.user_id == user_id).returning(Grant.tenant_id))
            await session.execute(delete(User).where(User.id == user_id))


async def unauthenticated(gql, query: str, token: str, variables: dict | None = None) -> bool:
    status, body = await gql.post(query, variables, token)
    return status == 200 and body["data"] is None and {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}


async def test_forged_and_stale_user_tokens_are_all_refused(gql, services, sessionmaker):
    world = World(sessionmaker)
    practice = await world.practice()
    user = await world.user(practice, Role.PRACTICE_ADMIN)
    secret = services.settings.secret_key

    refused = {name: await unauthenticated(gql, WHO, token) for name, token in forged_user_tokens(secret, user.id).items()}
    for scheme in ("Basic", "Token", "Bearer  Bearer"):
        response = await gql.http.post(
            "/graphql", json={"query": WHO}, headers={"Authorization": f"{scheme} {tokens.issue(secret, user.id, 60)}"}
        )
        refused[f"scheme {scheme}"] = response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    assert [name for name, ok in refused.items() if not ok] == []
    assert (await gql.data(WHO, token=tokens.issue(secret, user.id, 60)))["me"]["id"]  # the control is accepted


@pytest.mark.parametrize("change", ["disable", "remove"])
async def test_a_valid_token_of_a_disabled_or_deleted_user_is_refused(gql, services, sessionmaker, change):
    world = World(sessionmaker)
    practice = await world.practice()
    user = await world.user(practice, Role.CIO, [await world.tenant(practice)])
    token = tokens.issue(services.settings.secret_key, user.id, 600)
    assert (await gql.data(WHO, token=token))["me"]["id"]

    await set_user(sessionmaker, user.id, disable=change == "disable", remove=change == "remove")

    assert await unauthenticated(gql, WHO, token)


async def test_revoked_tampered_and_foreign_api_keys_are_refused(gql, cast):
    admin_a = next(c for c in cast.callers if c.name == "admin_a")
    admin_b = next(c for c in cast.callers if c.name == "admin_b")
    key_b = (await gql.mutate(admin_b.token, "createApiKey", {"name": "B's PSA"}, "key"))["key"]
    spare = (await gql.mutate(admin_a.token, "createApiKey", {"name": "to revoke"}, "key"))["key"]
    key_id = uuid.UUID(hex=spare.split("_")[1])
    assert (await gql.data(KEY_READ, {"t": cast.a1.gid}, spare))["tenant"]["name"]

    await gql.mutate(admin_a.token, "revokeApiKey", {"id": ids.encode("ApiKey", key_id)}, "revokedId")

    prefix, kid, secret = spare.split("_", 2)
    refused = {
        "revoked": await unauthenticated(gql, KEY_READ, spare, {"t": cast.a1.gid}),
        "secret tampered": await unauthenticated(gql, KEY_READ, f"{prefix}_{kid}_{secret[:-2]}xx", {"t": cast.a1.gid}),
        "unknown id": await unauthenticated(gql, KEY_READ, f"{prefix}_{uuid.uuid4().hex}_{secret}", {"t": cast.a1.gid}),
        "no secret": await unauthenticated(gql, KEY_READ, f"{prefix}_{kid}_", {"t": cast.a1.gid}),
        "id of one key, secret of another": await unauthenticated(
            gql, KEY_READ, f"{prefix}_{kid}_{key_b.split('_', 2)[2]}", {"t": cast.a1.gid}),
    }
    # A valid key of practice B sees nothing of practice A and cannot push into it.
    foreign_read = await gql.data(KEY_READ, {"t": cast.a1.gid}, key_b)
    push = await gql.mutate_raw(key_b, "ingestTickets", {
        "tenantId": cast.a1.gid, "source": "psa", "tickets": [
            {"externalId": "X-1", "category": "SUPPORT", "openedAt": "2026-01-02T10:00:00Z"}],
    }, "accepted")

    assert [name for name, ok in refused.items() if not ok] == []
    assert foreign_read["tenant"] is None and cast.a1.tenant.name not in str(foreign_read)
    assert push["accepted"] == 0 and [e["code"] for e in push["userErrors"]] == ["NOT_FOUND"]



async def test_a_token_accepted_before_is_refused_once_it_expires(gql, services, sessionmaker):
    """Verified tokens are remembered (app/auth/tokens.py); the expiry is still checked on every request."""
    world = World(sessionmaker)
    user = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    token = tokens.issue(services.settings.secret_key, user.id, 2, now=time.time() - 1)  # about a second left
    assert (await gql.data(WHO, token=token))["me"]["id"]
    assert (await gql.data(WHO, token=token))["me"]["id"]  # the remembered verification

    await asyncio.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.05)

    assert await unauthenticated(gql, WHO, token)
