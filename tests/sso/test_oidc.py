"""Single sign-on against a real OpenID Connect issuer on loopback (tests/sso/issuer.py): the
flow a browser takes, the forged and wrong ID tokens, replayed states, the practice line."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from sqlalchemy import select

from app.api import ids
from app.integrations.secrets import decrypt
from app.sso.models import OidcProvider
from app.tenants import actions as tenant_actions
from app.tenants.models import Role
from tests.accounts.conftest import INVITE
from tests.apitools import PASSWORD, error_codes
from tests.sso.issuer import CLIENT_ID, CLIENT_SECRET, Forgery, Issuer, Login

SET = ("mutation($input: SetOidcProviderInput!) { setOidcProvider(input: $input) { provider { issuer clientId "
       "allowedDomains loginUrl redirectUri } userErrors { code field } } }")
READ = "{ oidcProvider { issuer clientId allowedDomains } }"


@pytest.fixture(scope="module")
def issuer():
    server = Issuer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(addressed_api):
    return addressed_api


def new_domain() -> str:
    return f"d{uuid.uuid4().hex[:8]}.test"


async def staff(world, practice, domain: str, role: Role = Role.CIO, tenants=()):
    async with world.scope(()) as session:
        return await tenant_actions.create_user(
            session, practice.id, email=f"jo-{uuid.uuid4().hex[:6]}@{domain}", name="Jo", password=PASSWORD,
            role=role, tenant_ids=[t.id for t in tenants])


async def configure(api, admin, issuer, domains: list[str]) -> dict:
    return await api.mutate(admin, SET, {"issuer": issuer.url, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                                         "allowedDomains": domains})


async def start(api, slug: str) -> httpx.Response:
    return await api.http.get(f"/auth/oidc/{slug}/login")


async def through_issuer(api, issuer, slug: str, login: Login) -> str:
    """Start at the app, sign in at the issuer: the callback path and query the browser is sent back to."""
    started = await start(api, slug)
    assert started.status_code == 302, started.text
    issuer.next = login
    async with httpx.AsyncClient() as browser:
        at_issuer = await browser.get(started.headers["location"])
    assert at_issuer.status_code == 302, at_issuer.text
    back = urlsplit(at_issuer.headers["location"])
    return f"{back.path}?{back.query}"


async def sign_in(api, issuer, slug: str, login: Login) -> httpx.Response:
    return await api.http.get(await through_issuer(api, issuer, slug, login))


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/signed-in"
    return parse_qs(location.fragment)["token"][0]


@pytest.fixture
async def sso(api, scene, world, issuer):
    """Practice A with single sign-on for one domain, and its CIO of that domain."""
    domain = new_domain()
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    await configure(api, admin, issuer, [domain])
    cio = await staff(world, scene.practice, domain, tenants=[scene.tenant])
    return scene.practice.slug, domain, admin, cio


async def test_staff_sign_in_with_the_identity_provider_and_get_a_token(api, scene, world, issuer, services):
    domain = new_domain()
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    configured = await configure(api, admin, issuer, [domain.upper(), domain])
    slug = scene.practice.slug
    assert configured["provider"] == {
        "issuer": issuer.url, "clientId": CLIENT_ID, "allowedDomains": [domain],
        "loginUrl": f"http://localhost:8000/auth/oidc/{slug}/login",
        "redirectUri": f"http://localhost:8000/auth/oidc/{slug}/callback"}
    cio = await staff(world, scene.practice, domain, tenants=[scene.tenant])

    started = await start(api, slug)
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert started.headers["location"].startswith(f"{issuer.url}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 43 and query["nonce"]
    assert query["redirect_uri"] == [f"http://localhost:8000/auth/oidc/{slug}/callback"]

    token = token_of(await sign_in(api, issuer, slug, Login(cio.email.upper())))
    me = await api.data("{ me { email } tenants { edges { node { name } } } }", token=token)
    assert me["me"]["email"] == cio.email
    assert [e["node"]["name"] for e in me["tenants"]["edges"]] == [scene.tenant.name]
    assert (await api.audit_actions(scene.tenant))[-1] == "user.sso_sign_in"
    async with services.sessionmaker() as session:
        stored = await session.scalar(select(OidcProvider).where(OidcProvider.practice_id == scene.practice.id))
    assert CLIENT_SECRET.encode() not in stored.client_secret_encrypted
    assert decrypt(services.settings.secret_key, stored.client_secret_encrypted) == CLIENT_SECRET
    assert "secret" not in str(await api.data(admin, READ)).lower()


FORGERIES = {
    "wrong issuer": Forgery(claims={"iss": "https://evil.example"}),
    "wrong audience": Forgery(claims={"aud": "another-client"}),
    "wrong nonce": Forgery(claims={"nonce": "replayed-nonce"}),
    "expired": Forgery(claims={"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}),
    "unsigned (alg none)": Forgery(signing="none"),
    "signed by another key": Forgery(signing="other-key"),
    "signed HS256 with the client secret": Forgery(signing="hs256"),
    "empty subject": Forgery(claims={"sub": ""}),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
async def test_a_forged_or_wrong_id_token_signs_nobody_in(api, sso, issuer, forgery):
    slug, _, _, cio = sso
    answer = await sign_in(api, issuer, slug, Login(cio.email, forgery=forgery))
    assert answer.status_code == 401 and answer.json()["error"] == "INVALID_ID_TOKEN", answer.text
    assert "token=" not in answer.headers.get("location", "")


async def test_an_address_of_another_domain_or_not_verified_is_refused(api, sso, issuer, world, scene):
    slug, domain, _, cio = sso
    outsider = await staff(world, scene.practice, new_domain())
    other_domain = await sign_in(api, issuer, slug, Login(outsider.email))
    unverified = await sign_in(api, issuer, slug, Login(cio.email, email_verified=False))
    as_string = await sign_in(api, issuer, slug, Login(cio.email, forgery=Forgery(claims={"email_verified": "yes"})))
    unknown = await sign_in(api, issuer, slug, Login(f"nobody@{domain}"))
    assert (other_domain.status_code, other_domain.json()["error"]) == (403, "DOMAIN_NOT_ALLOWED")
    assert (unverified.status_code, unverified.json()["error"]) == (403, "EMAIL_NOT_VERIFIED")
    assert as_string.json()["error"] == "EMAIL_NOT_VERIFIED"
    assert (unknown.status_code, unknown.json()["error"]) == (403, "NO_ACCOUNT")


async def test_a_disabled_user_is_refused(api, sso, issuer, services):
    slug, _, _, cio = sso
    async with services.sessionmaker() as session, session.begin():
        (await session.get(type(cio), cio.id)).disabled_at = cio.created_at
    answer = await sign_in(api, issuer, slug, Login(cio.email))
    assert answer.json()["error"] == "NO_ACCOUNT"


async def test_a_state_is_taken_once_and_a_made_up_one_never(api, sso, issuer):
    slug, _, _, cio = sso
    callback = await through_issuer(api, issuer, slug, Login(cio.email))
    assert token_of(await api.http.get(callback))
    exchanges = issuer.token_requests
    replayed = await api.http.get(callback)
    made_up = await api.http.get(f"/auth/oidc/{slug}/callback?code=abc&state=made-up")
    no_state = await api.http.get(f"/auth/oidc/{slug}/callback?code=abc")
    for answer in (replayed, made_up, no_state):
        assert (answer.status_code, answer.json()["error"]) == (400, "INVALID_STATE")
    assert issuer.token_requests == exchanges  # refused before any code reaches the issuer


async def test_a_user_of_another_practice_with_the_same_domain_is_not_signed_in(api, sso, issuer, world):
    slug, domain, _, cio = sso
    other_practice = await world.practice()
    namesake = await staff(world, other_practice, domain)
    answer = await sign_in(api, issuer, slug, Login(namesake.email))
    assert (answer.status_code, answer.json()["error"]) == (403, "NO_ACCOUNT")
    # Practice B configures the same issuer: a flow started at A does not finish at B.
    admin_b = await world.user(other_practice, Role.PRACTICE_ADMIN)
    await configure(api, admin_b, issuer, [domain])
    callback = await through_issuer(api, issuer, slug, Login(namesake.email))
    crossed = await api.http.get(callback.replace(f"/oidc/{slug}/", f"/oidc/{other_practice.slug}/"))
    assert (crossed.status_code, crossed.json()["error"]) == (400, "INVALID_STATE")


async def test_a_totp_user_signing_in_by_sso_needs_no_code(api, sso, issuer):
    """The identity provider's own second factor counts (README); the password still needs the code."""
    slug, _, _, cio = sso
    secret = (await api.data(cio, "mutation { enrollTotp { secret } }"))["enrollTotp"]["secret"]
    confirmed = await api.data(cio, "mutation($i: ConfirmTotpInput!) { confirmTotp(input: $i) { userErrors { code } } }",
                               {"i": {"code": pyotp.TOTP(secret).at(time.time() - 30)}})
    assert confirmed == {"confirmTotp": {"userErrors": []}}
    token = token_of(await sign_in(api, issuer, slug, Login(cio.email)))
    assert (await api.data("{ me { totpEnabled } }", token=token)) == {"me": {"totpEnabled": True}}
    by_password = await api.data("mutation($i: LoginInput!) { login(input: $i) { userErrors { code } } }",
                                 {"i": {"email": cio.email, "password": PASSWORD}})
    assert by_password == {"login": {"userErrors": [{"code": "MFA_REQUIRED"}]}}


async def test_an_admin_configures_and_reads_only_their_own_practice(api, sso, issuer, world, scene):
    slug, domain, admin_a, _ = sso
    admin_b = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    assert (await api.data(admin_b, READ)) == {"oidcProvider": None}
    await configure(api, admin_b, issuer, ["b-only.test"])
    assert (await api.data(admin_a, READ))["oidcProvider"]["allowedDomains"] == [domain]
    assert (await api.data(admin_b, READ))["oidcProvider"]["allowedDomains"] == ["b-only.test"]
    for caller in (scene.cio, scene.executive):
        for document, variables in ((READ, None), (SET, {"input": {"issuer": issuer.url, "clientId": "x",
                                                                      "clientSecret": "y", "allowedDomains": ["x.test"]}}),
                                    ("mutation { removeOidcProvider { removed } }", None)):
            assert error_codes(await api.run(caller, document, variables)) == ["FORBIDDEN"], (caller.role, document)
    assert (await api.data(admin_a, READ))["oidcProvider"]["allowedDomains"] == [domain]
    removed = await api.data(admin_b, "mutation { removeOidcProvider { removed userErrors { code } } }")
    assert removed == {"removeOidcProvider": {"removed": True, "userErrors": []}}
    assert (await start(api, slug)).status_code == 302  # A's is untouched
    assert "practice.oidc_provider" in await api.audit_actions(scene.tenant)


async def test_bad_configuration_is_refused_with_the_field_named(api, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    cases = [
        ({"issuer": "http://idp.example.com", "clientId": "c", "clientSecret": "s", "allowedDomains": ["a.test"]}, ["issuer"]),
        ({"issuer": "https://idp.example.com", "clientId": "c", "clientSecret": "s", "allowedDomains": []}, ["allowedDomains"]),
        ({"issuer": "https://idp.example.com", "clientId": "c", "clientSecret": "s", "allowedDomains": ["not a domain"]},
         ["allowedDomains", "0"]),
        ({"issuer": "https://idp.example.com", "clientId": "c", "allowedDomains": ["a.test"]}, ["clientSecret"]),
    ]
    for input, field in cases:
        payload = (await api.data(admin, SET, {"input": input}))["setOidcProvider"]
        assert payload == {"provider": None, "userErrors": [{"code": "INVALID", "field": field}]}, input
    assert (await api.data(admin, READ)) == {"oidcProvider": None}


async def test_a_practice_without_single_sign_on_answers_404(api):
    answer = await start(api, f"no-such-{uuid.uuid4().hex[:6]}")
    assert (answer.status_code, answer.json()["error"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize("changed", [
    {"issuer": "https://someone-else.example"},
    {"token_endpoint": "http://10.0.0.1/token"},  # fcio is never sent to plain HTTP off loopback
    {"jwks_uri": None},
], ids=["another issuer", "plain-http token endpoint", "no jwks_uri"])
async def test_metadata_that_does_not_hold_stops_the_sign_in(api, sso, issuer, changed):
    slug, _, _, _ = sso
    issuer.metadata = changed
    try:
        answer = await start(api, slug)
    finally:
        issuer.metadata = {}
    assert (answer.status_code, answer.json()["error"]) == (502, "PROVIDER_MISCONFIGURED")


async def test_an_invited_address_signs_in_by_sso_and_gets_the_invitation_s_role_and_tenants(api, sso, issuer, scene):
    """A first sign-on takes the live invitation (used, as by its link); a second finds the account."""
    slug, domain, admin, _ = sso
    email = f"new-{uuid.uuid4().hex[:6]}@{domain}"
    invited = await api.data(admin, INVITE, {"i": {"email": email, "name": "New Cio", "role": "CIO",
                                                   "tenantIds": [ids.encode("Tenant", scene.tenant.id)]}})
    assert invited["inviteUser"]["userErrors"] == []
    token = token_of(await sign_in(api, issuer, slug, Login(email)))
    me = await api.data("{ me { email role } tenants { edges { node { name } } } }", token=token)
    assert me["me"] == {"email": email, "role": "CIO"}
    assert [e["node"]["name"] for e in me["tenants"]["edges"]] == [scene.tenant.name]
    assert token_of(await sign_in(api, issuer, slug, Login(email)))
    stranger = await sign_in(api, issuer, slug, Login(f"other-{uuid.uuid4().hex[:6]}@{domain}"))
    assert (stranger.status_code, stranger.json()["error"]) == (403, "NO_ACCOUNT")
