"""Real SMTP servers in process (aiosmtpd on loopback ports), never a mock of the client.

`smtp_server(handler, **options)` starts one for a test and stops it after; `Recorder` keeps what
it received, `Refuser` answers a recipient or the data with a failure; `tls` is a certificate
authority made for the run (trustme) and a server context holding a certificate for 127.0.0.1.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.db.embedded import free_port
from app.mail.config import plain_url
from app.settings import Settings


class Recorder:
    """Accepts every mail and keeps its envelope (sender, recipients, the bytes received)."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Kept"

    def messages(self) -> list[EmailMessage]:
        return [BytesParser(policy=policy.default).parsebytes(e.original_content) for e in self.envelopes]


class Refuser:
    """Answers `answer` ("451 ...", "550 ...") to every recipient, or to the data when `at` is "DATA"."""

    def __init__(self, answer: str, at: str = "RCPT"):
        self.answer, self.at = answer, at

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.at == "RCPT":
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return self.answer


USER, PASSWORD = "reports", "p@ss:w/rd"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Accepts USER with PASSWORD only."""
    good = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=good, handled=False)


@dataclass
class Tls:
    cafile: Path  # the authority a client trusts
    context: ssl.SSLContext  # the server's


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> Tls:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    cafile = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return Tls(cafile, context)


@dataclass
class Server:
    controller: Controller

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.controller.port}"

    @property
    def url(self) -> str:
        return plain_url("127.0.0.1", self.controller.port)


@pytest.fixture
def smtp_server():
    started = []

    def start(handler, **options) -> Server:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        return Server(controller)

    yield start
    for controller in started:
        controller.stop()


def settings_for(url: str, **fields) -> Settings:
    return Settings(smtp_url=url, env="test", **fields)


def message(to: str = "dana@client.example", subject: str = "Your IT report") -> EmailMessage:
    mail = EmailMessage()
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content("The report is attached.")
    return mail
