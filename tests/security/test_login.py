"""Login under attack: brute force is slowed per address and per account, never forever; timing tells nothing.

Each attacker is its own client address (a separate ASGI transport), as it would be on the wire.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import httpx

from app.settings import get_settings
from app.tenants.models import Role
from tests.conftest import World
from tests.security.cast import PASSWORD

LOGIN = "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code message } } }"


def from_address(asgi_app, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app, client=(address, 40000)), base_url="http://test")


async def attempt(http: httpx.AsyncClient, email: str, password: str) -> tuple[str | None, float]:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": LOGIN, "variables": {"i": {"email": email, "password": password}}})
    elapsed = time.perf_counter() - started
    payload = response.json()["data"]["login"]
    code = payload["userErrors"][0]["code"] if payload["userErrors"] else None
    # A refusal for rate is also an HTTP 429 with Retry-After; nothing else is.
    assert (response.status_code == 429) == (code == "LIMIT"), response.status_code
    if code == "LIMIT":
        assert int(response.headers["retry-after"]) >= 1
    return code, elapsed


def random_address() -> str:
    return f"127.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


async def test_one_address_spraying_many_accounts_is_slowed_and_other_addresses_are_not(asgi_app, sessionmaker):
    world = World(sessionmaker)
    practice = await world.practice()
    victim = await world.user(practice, Role.CIO)
    attacker_address = random_address()
    async with from_address(asgi_app, attacker_address) as attacker, from_address(asgi_app, random_address()) as office:
        codes = [(await attempt(attacker, f"guess-{i}-{uuid.uuid4().hex[:6]}@example.com", "password123!"))[0] for i in range(52)]
        blocked_right_password, _ = await attempt(attacker, victim.email, PASSWORD)
        from_elsewhere, _ = await attempt(office, victim.email, PASSWORD)

    assert codes[:50] == ["INVALID"] * 50 and codes[50:] == ["LIMIT", "LIMIT"]
    assert blocked_right_password == "LIMIT"
    assert from_elsewhere is None  # the real user, from their own address, signs in


async def test_an_account_under_attack_unlocks_by_itself_when_the_window_passes(asgi_app, sessionmaker, services):
    world = World(sessionmaker)
    practice = await world.practice()
    victim = await world.user(practice, Role.CIO)
    async with from_address(asgi_app, random_address()) as attacker, from_address(asgi_app, random_address()) as owner:
        for _ in range(10):
            await attempt(attacker, victim.email, "not the password")
        locked, _ = await attempt(owner, victim.email, PASSWORD)
        key = f"fcio:rl:login:email:{victim.email}"
        ttl = await services.redis.ttl(key)
        await services.redis.expire(key, 1)  # let the 15-minute window pass
        await asyncio.sleep(1.2)
        unlocked, _ = await attempt(owner, victim.email, PASSWORD)

    assert locked == "LIMIT" and 0 < ttl <= 900
    assert unlocked is None


async def test_unknown_email_and_wrong_password_take_the_same_time(asgi_app, sessionmaker, monkeypatch):
    monkeypatch.setattr(get_settings(), "password_hash_profile", "rfc9106-low-memory")  # production's cost
    world = World(sessionmaker)
    practice = await world.practice()
    users = [await world.user(practice, Role.CIO) for _ in range(3)]
    wrong, unknown = [], []
    for round_ in range(8):  # under the per-account limit of 10
        for user in users:
            async with from_address(asgi_app, random_address()) as http:
                code_w, t_w = await attempt(http, user.email, f"wrong password {round_}")
                code_u, t_u = await attempt(http, f"nobody-{uuid.uuid4().hex[:8]}@example.com", f"wrong password {round_}")
            assert code_w == code_u == "INVALID"
            wrong.append(t_w)
            unknown.append(t_u)

    median_wrong, median_unknown = statistics.median(wrong), statistics.median(unknown)
    print(f"\nlogin timing: wrong password median {median_wrong * 1000:.1f} ms, unknown email {median_unknown * 1000:.1f} ms")
    assert abs(median_wrong - median_unknown) < 0.2 * max(median_wrong, median_unknown)
