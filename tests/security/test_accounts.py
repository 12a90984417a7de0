"""The accounts' surfaces under attack: guessed and replayed link tokens, invitations across
practices, and the timing of the password-reset answer (app/accounts)."""

from __future__ import annotations

import asyncio
import random
import secrets
import statistics
import time
import uuid

import httpx
from sqlalchemy import func, select

from app.accounts.models import Invitation
from app.api import ids
from app.db.scope import tenant_session
from app.tenants.models import Role
from tests.accounts.conftest import ACCEPT, NEW_PASSWORD, REQUEST, RESET, client_address
from tests.apitools import user_error_codes
from tests.statements import scope_statements

GUESSES = 50  # links.PER_ADDRESS: the 51st answer from the address is LIMIT


async def mailed_reset(accounts, email: str) -> str:
    await accounts.payload(REQUEST, {"email": email})
    (mail,) = await accounts.mails()
    return accounts.link(mail)[1]


async def test_guessed_tokens_are_invalid_alike_then_the_address_is_stopped(accounts, scene):
    """50 guesses (random, empty, oversized, a hash-looking one) answer one INVALID; then the
    address gets LIMIT even with a real token, which still works from elsewhere."""
    real = await mailed_reset(accounts, scene.cio.email)
    guesses = ["", "x" * 5000, "0" * 64, real[:-1], real.upper()]
    guesses += [secrets.token_urlsafe(32) for _ in range(GUESSES - len(guesses))]
    answers = []
    for index, guess in enumerate(guesses):
        mutation = RESET if index % 2 else ACCEPT
        answers.append(await accounts.payload(mutation, {"token": guess, "password": NEW_PASSWORD}))
    assert all(user_error_codes(a) == [("INVALID", ["token"])] for a in answers), answers
    assert len({a["userErrors"][0]["message"] for a in answers}) == 1 and not any(a["accessToken"] for a in answers)
    stopped = await accounts.payload(RESET, {"token": real, "password": NEW_PASSWORD})
    assert user_error_codes(stopped) == [("LIMIT", None)]
    transport = httpx.ASGITransport(app=accounts.api.http._transport.app, client=(client_address(), 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as elsewhere:
        body = (await elsewhere.post("/graphql", json={"query": RESET, "variables": {
            "i": {"token": real, "password": NEW_PASSWORD}}})).json()
    assert body["data"]["resetPassword"]["accessToken"]
    print(f"\nlink tokens: {GUESSES} guesses from one address, all INVALID alike; the next answer LIMIT")


async def test_one_token_sent_ten_times_at_once_signs_in_once(accounts, scene):
    token = await mailed_reset(accounts, scene.cio.email)
    answers = await asyncio.gather(*(accounts.payload(RESET, {"token": token, "password": NEW_PASSWORD})
                                     for _ in range(10)))
    assert sum(bool(a["accessToken"]) for a in answers) == 1
    assert sum(user_error_codes(a) == [("INVALID", ["token"])] for a in answers) == 9


async def test_an_admin_cannot_invite_into_another_practices_tenant(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    foreign = ids.encode("Tenant", scene.foreign.id)
    unknown = ids.encode("Tenant", uuid.uuid4())
    email = f"crossing-{uuid.uuid4().hex[:8]}@example.com"
    query = "mutation($i: InviteUserInput!) { inviteUser(input: $i) { invitation { email } userErrors { code } } }"

    async def invite(role: str, tenants: list[str]) -> dict:
        return await accounts.api.post(query, {"i": {"email": email, "name": "X", "role": role, "tenantIds": tenants}},
                                       accounts.api.token(admin))

    answers = [await invite(role, tenants) for role, tenants in (
        ("CIO", [foreign]), ("CIO", [unknown]), ("CIO", [ids.encode("Tenant", scene.tenant.id), foreign]),
        ("CLIENT_EXECUTIVE", [foreign]))]
    assert all(a == answers[1] for a in answers), answers
    assert answers[1]["data"] is None and answers[1]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    async with tenant_session(accounts.api.services.sessionmaker, ()) as s:
        assert await s.scalar(select(func.count()).select_from(Invitation).where(Invitation.email == email)) == 0
    assert await accounts.mails() == []


async def test_only_practice_admins_invite(accounts, scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    key = (await accounts.api.data("mutation { createApiKey(input: {name: \"psa\"}) { key } }",
                                   token=accounts.api.token(admin)))["createApiKey"]["key"]
    invite = {"email": "planted@example.com", "name": "Planted", "role": "PRACTICE_ADMIN", "tenantIds": []}
    for token in (accounts.api.token(scene.cio), accounts.api.token(scene.executive), key, None):
        body = await accounts.api.post("mutation($i: InviteUserInput!) { inviteUser(input: $i) { invitation { email } } }",
                                       {"i": invite}, token)
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED"), body
        assert body["data"] is None
    assert await accounts.mails() == []


async def timed(http: httpx.AsyncClient, email: str) -> tuple[float, dict]:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": REQUEST, "variables": {"i": {"email": email}}})
    return time.perf_counter() - started, response.json()


async def test_the_reset_answer_takes_the_same_time_for_an_account_and_for_none(accounts, world):
    """Interleaved requests (each pair in random order, each request from an address of its own and
    for an address asked for the first time), after a warm-up: the median of the pairs' differences
    within 10 % of the median request. Paired, because the suite shares the machine (the cluster
    suite runs beside it): a burst of load slows both requests of a pair, and the medians of each
    kind alone were seen 20 % apart under it, 1-2 % on a quiet machine."""
    practice = await world.practice()
    warm_up, samples = 30, 150
    existing = [(await world.user(practice, Role.CIO)).email for _ in range(warm_up + samples)]
    missing = [f"nobody-{uuid.uuid4().hex}@example.com" for _ in existing]
    app = accounts.api.http._transport.app
    pairs = []
    for index, pair in enumerate(zip(existing, missing, strict=True)):
        order = [("existing", pair[0]), ("missing", pair[1])]
        random.shuffle(order)
        took = {}
        for kind, email in order:
            transport = httpx.ASGITransport(app=app, client=(client_address(), 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                took[kind], body = await timed(http, email)
            assert body == {"data": {"requestPasswordReset": {"ok": True, "userErrors": []}}}, body
        if index >= warm_up:
            pairs.append(took)
    typical = statistics.median([t for took in pairs for t in took.values()])
    apart = statistics.median([took["existing"] - took["missing"] for took in pairs])
    print(f"\nreset timing: {samples} interleaved pairs, median request {typical * 1000:.2f} ms, an account's "
          f"{apart * 1000:+.2f} ms against none's in the median pair ({abs(apart) / typical:.1%})")
    assert abs(apart) <= 0.10 * typical


async def test_the_reset_request_sends_the_same_statements_for_an_account_and_for_none(accounts, scene,
                                                                                      count_statements):
    """What makes the time the same: the request reads nothing that depends on the address."""
    logs = []
    for email in (scene.cio.email, f"nobody-{uuid.uuid4().hex[:8]}@example.com"):
        with count_statements() as log:
            body = await accounts.api.post(REQUEST, {"i": {"email": email}})
        assert body["data"]["requestPasswordReset"]["ok"]
        logs.append(log)
    assert logs[0].statements == logs[1].statements, logs[0].report() + "\n\n" + logs[1].report()
    assert len(logs[0]) == scope_statements() and not any("users" in s for s in logs[0].statements), logs[0].report()
