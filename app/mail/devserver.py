"""The development SMTP server: aiosmtpd on a loopback port, every mail kept as an .eml file.

`fcio dev` starts it when `FCIO_SMTP_URL` is unset, so what the app mails (reports, invitations)
can be read in any mail client without sending anything anywhere. Nothing is relayed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.db.embedded import free_port
from app.mail.config import plain_url

log = logging.getLogger(__name__)


class MailDirectory:
    """An aiosmtpd handler that writes each mail received to `directory` as `<UTC instant>-<id>.eml`.

    The file is the message as received, after an `X-Envelope-To` header naming every recipient of
    the envelope (Bcc ones are in no other header). It appears whole: written aside, then renamed.
    """

    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}.eml"
        path = self.directory / name
        partial = self.directory / f".{name}.partial"
        header = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        partial.write_bytes(header + envelope.original_content)
        os.replace(partial, path)
        log.info("mail to %s kept in %s", ", ".join(envelope.rcpt_tos), path)
        return "250 Message accepted for delivery"


def start_mail_server(directory: Path) -> tuple[Controller, str]:
    """Start the server on a free loopback port, keeping mail in `directory`; returns it and its URL.

    It runs in a thread of its own until `stop()`.
    """
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(MailDirectory(directory), hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, plain_url(controller.hostname, controller.port)
