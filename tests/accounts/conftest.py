"""The accounts' fixtures: the production app on a queue of the test's own, a burst worker whose mail
goes to a real SMTP server in process (aiosmtpd), and the mailed links read back from that server.

Each `accounts` comes from a client address of its own, so the address limits of one test (a
token guessed 50 times) never reach another.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.services import Services
from app.web import create_app
from tests.apitools import Api
from tests.mail.conftest import Recorder, smtp_server  # noqa: F401 -- in-process SMTP servers
from tests.workers.conftest import queue, queue_name, run_burst, settings  # noqa: F401 -- burst workers

APP_URL = "https://app.example"
INVITE = ("mutation($i: InviteUserInput!) { inviteUser(input: $i) { invitation { email role expiresAt } "
          "userErrors { code field message } } }")
ACCEPT = ("mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken user { email role } "
          "userErrors { code field message } } }")
REQUEST = ("mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { ok "
           "userErrors { code field message } } }")
RESET = ("mutation($i: ResetPasswordInput!) { resetPassword(input: $i) { accessToken user { email } "
         "userErrors { code field message } } }")
REVOKE = "mutation { revokeSessions { ok userErrors { code } } }"
ME = "{ me { email role } }"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"https://app\.example/\S+")


def client_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@dataclass
class Accounts:
    api: Api
    mailbox: Recorder
    worker: object
    seen: int = field(default=0)

    async def payload(self, query: str, input: dict, token: str | None = None) -> dict:
        (payload,) = (await self.api.data(query, {"i": input}, token)).values()
        return payload

    async def invite(self, admin, email: str, role: str = "CIO", tenant_ids=(), name: str = "New Colleague") -> dict:
        return await self.payload(INVITE, {"email": email, "name": name, "role": role, "tenantIds": list(tenant_ids)},
                                  self.api.token(admin))

    async def mails(self) -> list:
        """The mails the worker sent since the last call (it runs every job queued until then)."""
        await self.worker()
        messages = self.mailbox.messages()[self.seen:]
        self.seen += len(messages)
        return messages

    @staticmethod
    def link(mail) -> tuple[str, str]:
        """The page and the token of the one link in `mail`."""
        (url,) = LINK.findall(mail.get_body(("plain",)).get_content())
        parts = urlsplit(url)
        return parts.path.strip("/"), parse_qs(parts.query)["token"][0]

    async def me(self, token: str) -> dict:
        return await self.api.post(ME, token=token)


@pytest.fixture
async def accounts(services, queue, smtp_server, run_burst, settings):  # noqa: F811
    mailbox = Recorder()
    server = smtp_server(mailbox)
    app = create_app(services.settings, Services(services.settings, services.engine, services.sessionmaker, queue))
    mail = settings.model_copy(update={"smtp_url": server.url, "env": "test", "client_url": APP_URL})
    transport = httpx.ASGITransport(app=app, client=(client_address(), 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Accounts(Api(http, services), mailbox, lambda: run_burst(ctx={"settings": mail}))
