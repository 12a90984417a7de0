"""Invitations end to end: `inviteUser` through the API, the link read from the mail the worker sent
through a real SMTP server, `acceptInvitation` signing the invitee in with the role and tenants named."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from app.accounts.models import Invitation
from app.api import ids
from app.audit.models import AuditEvent
from app.db.scope import tenant_session
from app.tenants.models import Role, User
from tests.accounts.conftest import ACCEPT, APP_URL, NEW_PASSWORD
from tests.apitools import user_error_codes
from tests.mail.conftest import Refuser

TENANTS = "{ tenants(first: 10) { nodes { id } } }"


def gid(tenant) -> str:
    return ids.encode("Tenant", tenant.id)


def address() -> str:
    return f"invitee-{uuid.uuid4().hex[:8]}@example.com"


async def invited(accounts, admin, email, **options) -> str:
    """Invite `email` and return the token of the link the worker mailed."""
    payload = await accounts.invite(admin, email, **options)
    assert payload["userErrors"] == [], payload
    (mail,) = await accounts.mails()
    assert mail["To"] == email
    page, token = accounts.link(mail)
    assert page == "accept-invitation"
    return token


async def test_an_invited_cio_sets_a_password_and_is_signed_in_with_the_tenants_named(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    payload = await accounts.invite(admin, email, tenant_ids=[gid(scene.other)])
    assert payload["invitation"]["email"] == email and payload["invitation"]["role"] == "CIO"
    (mail,) = await accounts.mails()
    assert scene.practice.name in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert f"{APP_URL}/accept-invitation?token=" in body

    _, token = accounts.link(mail)
    signed_in = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    assert signed_in["userErrors"] == [] and signed_in["user"] == {"email": email, "role": "CIO"}
    seen = await accounts.api.data(TENANTS, token=signed_in["accessToken"])
    assert [n["id"] for n in seen["tenants"]["nodes"]] == [gid(scene.other)]
    assert await accounts.api.login(email, NEW_PASSWORD)


async def test_the_token_is_stored_only_as_its_hash_and_works_once(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    token = await invited(accounts, admin, email, tenant_ids=[gid(scene.tenant)])
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        stored = await s.scalar(select(Invitation).where(Invitation.email == email))
    assert stored.token_hash and token not in stored.token_hash and len(token) >= 43

    first = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    again = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    made_up = await accounts.payload(ACCEPT, {"token": "x" * 43, "password": NEW_PASSWORD})
    assert first["accessToken"] and again["accessToken"] is None
    assert user_error_codes(again) == [("INVALID", ["token"])] and again == made_up


async def test_a_short_password_is_refused_and_the_link_still_works(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    token = await invited(accounts, admin, address(), tenant_ids=[gid(scene.tenant)])
    short = await accounts.payload(ACCEPT, {"token": token, "password": "short"})
    assert user_error_codes(short) == [("INVALID", ["password"])]
    assert (await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD}))["accessToken"]


async def test_inviting_again_voids_the_earlier_link(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    first = await invited(accounts, admin, email, tenant_ids=[gid(scene.tenant)])
    second = await invited(accounts, admin, email, role="CLIENT_EXECUTIVE", tenant_ids=[gid(scene.tenant)])
    voided = await accounts.payload(ACCEPT, {"token": first, "password": NEW_PASSWORD})
    assert user_error_codes(voided) == [("INVALID", ["token"])]
    accepted = await accounts.payload(ACCEPT, {"token": second, "password": NEW_PASSWORD})
    assert accepted["user"]["role"] == "CLIENT_EXECUTIVE"


async def test_an_expired_invitation_answers_as_a_made_up_one(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    token = await invited(accounts, admin, email, tenant_ids=[gid(scene.tenant)])
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        await s.execute(update(Invitation).where(Invitation.email == email)
                        .values(expires_at=Invitation.created_at))
    expired = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    made_up = await accounts.payload(ACCEPT, {"token": token[::-1], "password": NEW_PASSWORD})
    assert user_error_codes(expired) == [("INVALID", ["token"])] and expired == made_up


async def test_the_invitation_lasts_72_hours(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    payload = await accounts.invite(admin, address(), tenant_ids=[gid(scene.tenant)])
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        stored = await s.scalar(select(Invitation).where(Invitation.email == payload["invitation"]["email"]))
    assert round((stored.expires_at - stored.created_at).total_seconds() / 3600) == 72


async def test_an_address_with_an_account_in_the_practice_is_not_invited(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    payload = await accounts.invite(admin, scene.cio.email.upper(), tenant_ids=[gid(scene.tenant)])
    assert user_error_codes(payload) == [("CONFLICT", ["email"])] and payload["invitation"] is None
    assert await accounts.mails() == []


async def test_bad_invitations_are_invalid_and_mail_nothing(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    cases = [
        ({"email": "not an address"}, ("INVALID", ["email"])),
        ({"email": "a@b.example\r\nBcc: x@y.example"}, ("INVALID", ["email"])),
        ({"role": "CLIENT_EXECUTIVE", "tenant_ids": []}, ("INVALID", ["tenantIds"])),
        ({"role": "CLIENT_EXECUTIVE", "tenant_ids": [gid(scene.tenant), gid(scene.other)]}, ("INVALID", ["tenantIds"])),
        ({"name": "  "}, ("INVALID", ["name"])),
    ]
    for options, error in cases:
        options.setdefault("email", address())
        payload = await accounts.invite(admin, **options)
        assert user_error_codes(payload) == [error], options
    assert await accounts.mails() == []


async def test_an_admin_invited_sees_the_whole_practice_and_a_disabled_account_comes_back(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    gone = await world.user(scene.practice, Role.CIO, [scene.tenant])
    old_token = accounts.api.token(gone)
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        await s.execute(update(User).where(User.id == gone.id).values(disabled_at=User.created_at))
    token = await invited(accounts, admin, gone.email, role="PRACTICE_ADMIN")
    back = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    assert back["user"] == {"email": gone.email, "role": "PRACTICE_ADMIN"}
    seen = await accounts.api.data(TENANTS, token=back["accessToken"])
    assert {n["id"] for n in seen["tenants"]["nodes"]} == {gid(scene.tenant), gid(scene.other)}
    assert (await accounts.me(old_token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_address_of_another_practice_is_invited_as_any_but_cannot_be_taken(accounts, scene, world):
    """The inviting admin learns nothing of other practices; the invitee, holding the link, is told."""
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    elsewhere = await world.user(await world.practice(), Role.CIO)
    token = await invited(accounts, admin, elsewhere.email, tenant_ids=[gid(scene.tenant)])
    taken = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    assert user_error_codes(taken) == [("CONFLICT", ["token"])] and taken["accessToken"] is None


async def test_who_invited_whom_and_the_acceptance_are_audited(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    token = await invited(accounts, admin, email, tenant_ids=[gid(scene.tenant)])
    accepted = await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    user_id = ids.decode_as((await accounts.api.data("{ me { id } }", token=accepted["accessToken"]))["me"]["id"],
                            "User").id
    async with tenant_session(accounts.api.services.sessionmaker, [scene.tenant.id]) as s:
        events = list(await s.scalars(select(AuditEvent).where(AuditEvent.tenant_id == scene.tenant.id,
                                                               AuditEvent.action.like("invitation.%"))
                                      .order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["invitation.create", "invitation.accept"]
    assert (events[0].actor_id, events[0].after["email"]) == (admin.id, email)
    assert events[1].actor_id == user_id and events[1].after["invited_by"] == str(admin.id)
    other = await accounts.api.audit_actions(scene.other)
    assert "invitation.create" not in other  # a CIO of one tenant is not in the others' history


async def test_one_address_is_invited_at_most_ten_times_an_hour(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    answers = [await accounts.invite(admin, email, tenant_ids=[gid(scene.tenant)]) for _ in range(11)]
    assert all(a["userErrors"] == [] for a in answers[:10])
    assert user_error_codes(answers[10]) == [("LIMIT", ["email"])] and answers[10]["invitation"] is None
    assert len(await accounts.mails()) == 1  # each invitation voided the one before: only the last is mailed


async def test_a_mail_refused_for_good_ends_the_job_and_inviting_again_mails_anew(accounts, scene, world, smtp_server,
                                                                                   run_burst, settings):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    email = address()
    await accounts.invite(admin, email, tenant_ids=[gid(scene.tenant)])
    refusing = smtp_server(Refuser("550 5.1.1 No such mailbox"))
    worker = await run_burst(ctx={"settings": settings.model_copy(update={"smtp_url": refusing.url, "env": "test"})})
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (1, 0, 0)
    token = await invited(accounts, admin, email, tenant_ids=[gid(scene.tenant)])
    assert (await accounts.payload(ACCEPT, {"token": token, "password": NEW_PASSWORD}))["accessToken"]
