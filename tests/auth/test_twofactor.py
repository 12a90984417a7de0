"""Two-factor sign-in through the API: enrol, confirm, sign in with codes and recovery codes, turn
it off, the practice's policy and the token good only for enrolling."""

from __future__ import annotations

import asyncio
import time

import pyotp
import pytest
from sqlalchemy import select

from app.auth import twofactor
from app.errors import NotFound
from app.integrations.secrets import decrypt
from app.tenants.models import Role, User
from tests.apitools import PASSWORD, error_codes

LOGIN = "mutation($i: LoginInput!) { login(input: $i) { accessToken user { totpEnabled } userErrors { code field } } }"
ENROLL = "mutation { enrollTotp { secret otpauthUri userErrors { code message } } }"
CONFIRM = "mutation($i: ConfirmTotpInput!) { confirmTotp(input: $i) { recoveryCodes userErrors { code message } } }"
DISABLE = "mutation($i: DisableTotpInput!) { disableTotp(input: $i) { user { totpEnabled } userErrors { code } } }"
POLICY = ("mutation($i: SetTwoFactorPolicyInput!) { setTwoFactorPolicy(input: $i) { policy { requiredRoles } "
          "userErrors { code } } }")


@pytest.fixture
def api(addressed_api):
    """Each test from an address of its own: its wrong codes lock only what it means to lock."""
    return addressed_api


def code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def steady() -> None:
    """Wait out the last seconds of a 30-second step, so a code computed now is judged in the same step."""
    into = time.time() % 30
    if into > 25:
        await asyncio.sleep(30.5 - into)


async def login(api, email: str, otp: str | None = None, password: str = PASSWORD) -> dict:
    data = await api.data(LOGIN, {"i": {"email": email, "password": password, "otp": otp}})
    return data["login"]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def enrolled(api, user) -> tuple[str, list[str]]:
    """Two-factor sign-in in force for `user`: its secret and recovery codes. Confirmed with the code
    of the step before (drift), so the current step's code is still unused."""
    enrolment = (await api.data(user, ENROLL))["enrollTotp"]
    await steady()
    confirmed = (await api.data(user, CONFIRM, {"i": {"code": code(enrolment["secret"], -1)}}))["confirmTotp"]
    assert confirmed["userErrors"] == [], confirmed
    return enrolment["secret"], confirmed["recoveryCodes"]


async def test_enrol_confirm_then_every_login_needs_a_current_code_taken_once(api, scene, services):
    enrolment = (await api.data(scene.cio, ENROLL))["enrollTotp"]
    assert enrolment["otpauthUri"].startswith("otpauth://totp/fcio:") and f"secret={enrolment['secret']}" in enrolment["otpauthUri"]
    # Not in force until confirmed: the password alone still signs in.
    assert (await login(api, scene.cio.email))["accessToken"]
    wrong = (await api.data(scene.cio, CONFIRM, {"i": {"code": "000000"}}))["confirmTotp"]
    assert codes_of(wrong) == ["INVALID"] and wrong["recoveryCodes"] is None
    await steady()
    confirmed = (await api.data(scene.cio, CONFIRM, {"i": {"code": code(enrolment["secret"])}}))["confirmTotp"]
    assert confirmed["userErrors"] == [] and len(set(confirmed["recoveryCodes"])) == 10

    no_code = await login(api, scene.cio.email)
    no_code_wrong_password = await login(api, scene.cio.email, password="not the password")
    assert (codes_of(no_code), no_code["accessToken"]) == (["MFA_REQUIRED"], None)
    assert codes_of(no_code_wrong_password) == ["MFA_REQUIRED"]
    await steady()
    current = code(enrolment["secret"], +1)  # the confirming code spent the current step
    right_code_wrong_password = await login(api, scene.cio.email, current, password="not the password")
    signed_in = await login(api, scene.cio.email, current)
    replayed = await login(api, scene.cio.email, current)
    assert codes_of(right_code_wrong_password) == ["INVALID"]  # and the code was not spent on it
    assert signed_in["accessToken"] and signed_in["user"] == {"totpEnabled": True}
    assert codes_of(replayed) == ["MFA_REQUIRED"] and replayed["accessToken"] is None
    me = await api.data("{ me { totpEnabled } }", token=signed_in["accessToken"])
    assert me == {"me": {"totpEnabled": True}}

    async with services.sessionmaker() as session:
        stored = await session.scalar(select(User).where(User.id == scene.cio.id))
    assert enrolment["secret"].encode() not in stored.totp_secret_encrypted
    assert decrypt(services.settings.secret_key, stored.totp_secret_encrypted) == enrolment["secret"]
    assert not set(confirmed["recoveryCodes"]) & set(stored.totp_recovery_hashes)  # only hashes are kept
    assert (await api.audit_actions(scene.tenant))[-2:] == ["user.totp_enroll", "user.totp_confirm"]


async def test_one_step_of_clock_drift_either_side_is_accepted_two_are_not(api, world):
    practice = await world.practice()
    user = await world.user(practice, Role.CIO)
    secret, _ = await enrolled(api, user)
    await asyncio.sleep(30.2 - time.time() % 30)  # a new step: the one before it is unused
    early, late = await login(api, user.email, code(secret, -2)), await login(api, user.email, code(secret, +2))
    assert codes_of(early) == codes_of(late) == ["MFA_REQUIRED"]
    # Ascending steps (each accepted code spends its step and every one before it).
    behind = await login(api, user.email, code(secret, -1))
    ahead = await login(api, user.email, code(secret, +1))
    assert behind["accessToken"] and ahead["accessToken"]
    # The current step is before the last one accepted: its code is refused now.
    assert codes_of(await login(api, user.email, code(secret))) == ["MFA_REQUIRED"]


async def test_recovery_codes_sign_in_once_each(api, scene):
    _, recovery = await enrolled(api, scene.cio)
    first = await login(api, scene.cio.email, recovery[0].upper())  # typed in capitals: the same code
    again = await login(api, scene.cio.email, recovery[0])
    other = await login(api, scene.cio.email, recovery[1].replace("-", ""))
    assert first["accessToken"] and other["accessToken"]
    assert codes_of(again) == ["MFA_REQUIRED"]
    assert "user.totp_recovery_used" in await api.audit_actions(scene.tenant)


async def test_turning_it_off_needs_a_current_code_and_enrolling_twice_is_refused(api, world):
    practice = await world.practice()
    user = await world.user(practice, Role.CIO)
    secret, _ = await enrolled(api, user)
    again = (await api.data(user, ENROLL))["enrollTotp"]
    assert codes_of(again) == ["CONFLICT"] and again["secret"] is None
    wrong = (await api.data(user, DISABLE, {"i": {"code": "123456"}}))["disableTotp"]
    assert codes_of(wrong) == ["INVALID"]
    assert codes_of(await login(api, user.email)) == ["MFA_REQUIRED"]  # still on
    await steady()
    off = (await api.data(user, DISABLE, {"i": {"code": code(secret)}}))["disableTotp"]
    assert off == {"user": {"totpEnabled": False}, "userErrors": []}
    assert (await login(api, user.email))["accessToken"]


async def test_guessing_codes_locks_the_account_like_guessing_passwords(api, world):
    """The attack: the password is known (phished), the code is guessed. 10 wrong codes in the 15-minute
    window lock the account: the right code is then refused too (RELIABILITY.md has the figures)."""
    practice = await world.practice()
    user = await world.user(practice, Role.CIO)
    secret, _ = await enrolled(api, user)
    guesses = [codes_of(await login(api, user.email, f"{n:06d}")) for n in range(10)]
    await steady()
    locked = await login(api, user.email, code(secret))
    assert guesses == [["MFA_REQUIRED"]] * 10
    assert codes_of(locked) == ["LIMIT"] and locked["accessToken"] is None


async def test_guessing_codes_through_disable_totp_counts_toward_the_same_lock(api, world):
    """A stolen session cannot guess its way to turning two-factor sign-in off."""
    practice = await world.practice()
    user = await world.user(practice, Role.CIO)
    secret, _ = await enrolled(api, user)
    guesses = [codes_of((await api.data(user, DISABLE, {"i": {"code": f"{n:06d}"}}))["disableTotp"]) for n in range(10)]
    await steady()
    body = await api.run(user, DISABLE, {"i": {"code": code(secret)}})
    assert guesses == [["INVALID"]] * 10
    assert codes_of(body["data"]["disableTotp"]) == ["LIMIT"]
    assert codes_of(await login(api, user.email, code(secret))) == ["LIMIT"]


async def test_a_required_role_without_two_factor_gets_a_token_good_only_for_enrolling(api, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    policy = (await api.data(admin, POLICY, {"i": {"requiredRoles": ["CIO"]}}))["setTwoFactorPolicy"]
    assert policy == {"policy": {"requiredRoles": ["CIO"]}, "userErrors": []}
    assert (await api.data(scene.cio, "{ twoFactorPolicy { requiredRoles } }")) == {"twoFactorPolicy": {"requiredRoles": ["CIO"]}}
    token = (await login(api, scene.cio.email))["accessToken"]

    refused = await api.http.post("/graphql", json={"query": "{ tenants { edges { node { name } } } }"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and error_codes(refused.json()) == ["MFA_ENROLLMENT_REQUIRED"]
    assert "enrollTotp" in refused.json()["errors"][0]["message"]
    for sneaked in ("{ me { id } tenants { edges { node { name } } } }",
                    "query { ...F } fragment F on Query { tenants { edges { node { name } } } }",
                    "mutation { resetCalendarFeed { url } }"):
        assert error_codes(await api.post(sneaked, token=token)) == ["MFA_ENROLLMENT_REQUIRED"], sneaked
    report = await api.http.get(f"/reports/{scene.gid(scene.tenant)}/2026-11.html", headers={"Authorization": f"Bearer {token}"})
    assert report.status_code == 401  # elsewhere the token is no token at all
    assert (await api.data("{ me { email totpEnabled } }", token=token))["me"] == {"email": scene.cio.email, "totpEnabled": False}

    enrolment = (await api.data(ENROLL, token=token))["enrollTotp"]
    await steady()
    confirmed = (await api.data(CONFIRM, {"i": {"code": code(enrolment["secret"])}}, token))["confirmTotp"]
    assert confirmed["userErrors"] == []
    assert error_codes(await api.post("{ tenants { edges { node { name } } } }", token=token)) == ["MFA_ENROLLMENT_REQUIRED"]
    full = (await login(api, scene.cio.email, code(enrolment["secret"], +1)))["accessToken"]
    tenants = await api.data("{ tenants { edges { node { name } } } }", token=full)
    assert [e["node"]["name"] for e in tenants["tenants"]["edges"]] == [scene.tenant.name]
    assert "practice.two_factor_roles" in await api.audit_actions(scene.tenant)


async def test_a_practice_policy_is_its_own_and_only_its_admins_set_it(api, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    foreign_admin = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    await api.data(admin, POLICY, {"i": {"requiredRoles": ["CIO", "PRACTICE_ADMIN"]}})
    assert (await api.data(foreign_admin, "{ twoFactorPolicy { requiredRoles } }"))["twoFactorPolicy"]["requiredRoles"] == []
    for caller in (scene.cio, scene.executive):
        body = await api.run(caller, POLICY, {"i": {"requiredRoles": []}})
        assert error_codes(body) == ["FORBIDDEN"]
    policy = await api.data(admin, "{ twoFactorPolicy { requiredRoles } }")
    assert policy["twoFactorPolicy"]["requiredRoles"] == ["CIO", "PRACTICE_ADMIN"]
    # The admin's own sign-in is now good only for enrolling, too: the rule binds whoever set it.
    token = (await login(api, admin.email))["accessToken"]
    assert error_codes(await api.post("{ tenants { edges { node { name } } } }", token=token)) == ["MFA_ENROLLMENT_REQUIRED"]


async def test_enrolment_belongs_to_signed_in_users(api, scene, world):
    assert error_codes(await api.post(ENROLL)) == ["UNAUTHENTICATED"]
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    key = (await api.mutate(admin, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key "
                            "userErrors { code } } }", {"name": "script"}))["key"]
    assert error_codes(await api.post(ENROLL, token=key)) == ["FORBIDDEN"]


async def test_what_a_sign_in_costs_in_statements(api, world, count_statements):
    """Password only: the scope, the user, the practice's policy. With a code: the same and the
    spent step (a one-field mutation takes no savepoint)."""
    practice = await world.practice()
    plain, enrolled_user = await world.user(practice, Role.CIO), await world.user(practice, Role.CIO)
    secret, _ = await enrolled(api, enrolled_user)
    with count_statements() as by_password:
        assert (await login(api, plain.email))["accessToken"]
    with count_statements() as by_code:
        assert (await login(api, enrolled_user.email, code(secret)))["accessToken"]
    assert len(by_password) == 3, by_password.report()
    assert len(by_code) == 4, by_code.report()


async def test_an_operator_reset_lets_a_user_who_lost_everything_sign_in_with_the_password(api, scene, world):
    """`fcio users reset-two-factor`: audited as the system under the user's tenants."""
    await enrolled(api, scene.cio)
    assert codes_of(await login(api, scene.cio.email)) == ["MFA_REQUIRED"]
    async with world.scope(()) as session:
        await twofactor.reset(session, scene.cio.email.upper())
    assert (await login(api, scene.cio.email))["accessToken"]
    assert (await api.audit_actions(scene.tenant))[-1] == "user.totp_reset"
    async with world.scope(()) as session:
        with pytest.raises(NotFound):
            await twofactor.reset(session, "nobody@example.com")
