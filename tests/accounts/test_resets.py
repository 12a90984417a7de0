"""Password reset end to end: the request answers alike for any address, the worker mails a link
only to an enabled account, the link works once for an hour, and a reset ends every other session."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from app.accounts.models import PasswordReset
from app.audit.models import AuditEvent
from app.db.scope import tenant_session
from app.tenants.models import Role, User
from tests.accounts.conftest import APP_URL, NEW_PASSWORD, REQUEST, RESET
from tests.apitools import PASSWORD, user_error_codes
from tests.auth.test_twofactor import code, codes_of, enrolled, login, steady


async def reset_token(accounts, email: str) -> str:
    assert (await accounts.payload(REQUEST, {"email": email}))["ok"]
    (mail,) = await accounts.mails()
    assert mail["To"] == email.lower()
    page, token = accounts.link(mail)
    assert page == "reset-password"
    return token


async def test_a_reset_sets_the_password_and_ends_every_other_session(accounts, scene):
    before = await accounts.api.login(scene.cio.email)
    token = await reset_token(accounts, scene.cio.email.upper())
    reset = await accounts.payload(RESET, {"token": token, "password": NEW_PASSWORD})
    assert reset["userErrors"] == [] and reset["user"]["email"] == scene.cio.email
    assert (await accounts.me(reset["accessToken"]))["data"]["me"]["email"] == scene.cio.email
    assert (await accounts.me(before))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await accounts.api.login(scene.cio.email, NEW_PASSWORD)
    wrong = await accounts.api.data("mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                                    {"i": {"email": scene.cio.email, "password": PASSWORD}})
    assert wrong["login"]["accessToken"] is None


async def test_the_mail_holds_the_link_to_the_web_client(accounts, scene):
    assert (await accounts.payload(REQUEST, {"email": scene.executive.email}))["ok"]
    (mail,) = await accounts.mails()
    assert f"{APP_URL}/reset-password?token=" in mail.get_body(("plain",)).get_content()


async def test_an_unknown_or_disabled_address_gets_the_same_answer_and_no_mail(accounts, scene, world):
    known = await accounts.payload(REQUEST, {"email": scene.cio.email})
    unknown = await accounts.payload(REQUEST, {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com"})
    disabled = await world.user(scene.practice, Role.CIO)
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        await s.execute(update(User).where(User.id == disabled.id).values(disabled_at=User.created_at))
    off = await accounts.payload(REQUEST, {"email": disabled.email})
    assert known == unknown == off == {"ok": True, "userErrors": []}
    assert [m["To"] for m in await accounts.mails()] == [scene.cio.email]


async def test_the_link_works_once_and_a_newer_one_voids_it(accounts, scene):
    first = await reset_token(accounts, scene.cio.email)
    second = await reset_token(accounts, scene.cio.email)
    voided = await accounts.payload(RESET, {"token": first, "password": NEW_PASSWORD})
    assert user_error_codes(voided) == [("INVALID", ["token"])]
    assert (await accounts.payload(RESET, {"token": second, "password": NEW_PASSWORD}))["accessToken"]
    reused = await accounts.payload(RESET, {"token": second, "password": NEW_PASSWORD + "!"})
    assert reused == voided


async def test_the_link_lasts_an_hour_and_then_answers_as_a_made_up_one(accounts, scene):
    token = await reset_token(accounts, scene.cio.email)
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        stored = await s.scalar(select(PasswordReset).where(PasswordReset.user_id == scene.cio.id))
        assert round((stored.expires_at - stored.created_at).total_seconds()) == 3600
        assert token not in stored.token_hash
        await s.execute(update(PasswordReset).where(PasswordReset.id == stored.id)
                        .values(expires_at=PasswordReset.created_at))
    expired = await accounts.payload(RESET, {"token": token, "password": NEW_PASSWORD})
    made_up = await accounts.payload(RESET, {"token": "made-up", "password": NEW_PASSWORD})
    assert user_error_codes(expired) == [("INVALID", ["token"])] and expired == made_up
    assert await accounts.api.login(scene.cio.email)  # the password stayed


async def test_a_short_password_is_refused_and_the_link_still_works(accounts, scene):
    token = await reset_token(accounts, scene.cio.email)
    short = await accounts.payload(RESET, {"token": token, "password": "short"})
    assert user_error_codes(short) == [("INVALID", ["password"])]
    assert (await accounts.payload(RESET, {"token": token, "password": NEW_PASSWORD}))["accessToken"]


async def test_requests_are_limited_per_address_asked_for(accounts, scene):
    answers = [await accounts.payload(REQUEST, {"email": scene.cio.email}) for _ in range(6)]
    assert all(a["ok"] for a in answers[:5])
    assert user_error_codes(answers[5]) == [("LIMIT", None)] and not answers[5]["ok"]
    missing = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    alike = [await accounts.payload(REQUEST, {"email": missing}) for _ in range(6)]
    assert alike[5] == answers[5]  # the limit does not tell an account apart either


async def test_a_malformed_address_is_invalid(accounts):
    bad = await accounts.payload(REQUEST, {"email": "not an address"})
    assert user_error_codes(bad) == [("INVALID", ["email"])] and not bad["ok"]


async def test_the_request_that_found_an_account_and_the_reset_are_audited(accounts, scene):
    token = await reset_token(accounts, scene.cio.email)
    await accounts.payload(RESET, {"token": token, "password": NEW_PASSWORD})
    async with tenant_session(accounts.api.services.sessionmaker, [scene.tenant.id]) as s:
        events = list(await s.scalars(select(AuditEvent).where(
            AuditEvent.tenant_id == scene.tenant.id, AuditEvent.object_id == str(scene.cio.id),
            AuditEvent.action.like("user.password_reset%")).order_by(AuditEvent.id)))
    assert [(e.action, e.actor_type) for e in events] == [("user.password_reset_request", "system"),
                                                          ("user.password_reset", "user")]
    assert events[0].after["requested_from"].startswith("10.")


async def test_a_reset_gives_a_two_factor_user_no_token_they_sign_in_with_the_new_password_and_a_code(accounts, scene):
    """The mailed link is one factor: it changes the password but does not stand in for the code."""
    secret, _ = await enrolled(accounts.api, scene.cio)
    token = await reset_token(accounts, scene.cio.email)
    reset = await accounts.payload(RESET, {"token": token, "password": NEW_PASSWORD})
    assert reset["userErrors"] == [] and reset["accessToken"] is None
    assert codes_of(await login(accounts.api, scene.cio.email, password=NEW_PASSWORD)) == ["MFA_REQUIRED"]
    await steady()
    assert (await login(accounts.api, scene.cio.email, code(secret), password=NEW_PASSWORD))["accessToken"]
