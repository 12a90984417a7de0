"""Sending one mail through the server of `FCIO_SMTP_URL`, with aiosmtplib.

Why aiosmtplib and not smtplib in a thread: it is maintained, async like the rest of the app (a
send is cancelled with its task, no thread is held while a server is slow), and it reports the
server's code and text for every refusal, which is what `MailError` carries.

A failure is temporary (a 4xx answer, a server that cannot be reached, answers too slowly or
hangs up: sending again later may work) or permanent (a 5xx answer, a server that offers no
STARTTLS or whose certificate fails: it will not work until someone changes something). The
report delivery stores `MailError.answer` and retries only the temporary ones.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib

from app.mail.config import SmtpServer
from app.settings import Settings

log = logging.getLogger(__name__)


class MailError(Exception):
    """A mail that was not sent. `answer` is the server's reply ("451 4.3.0 Try again later") or
    what went wrong on the way to it; `code` the reply's code when there was one."""

    def __init__(self, message: str, answer: str, *, code: int | None = None, temporary: bool):
        super().__init__(f"{message}: {answer}")
        self.answer = answer
        self.code = code
        self.temporary = temporary


@dataclass(frozen=True)
class Sent:
    """The server's answer to the message; `refused` the recipients it turned down (the others got it)."""

    answer: str
    refused: dict[str, str] = field(default_factory=dict)


async def send_message(settings: Settings, message: EmailMessage) -> Sent:
    """Send `message` (its From defaults to `settings.sender`) to its To, Cc and Bcc; MailError if not sent.

    Each step waits `settings.smtp_timeout_seconds` at most. A Bcc header is never transmitted.
    """
    server = settings.smtp_server
    if server is None:
        raise MailError("Mail is not configured", "FCIO_SMTP_URL is unset", temporary=False)
    if "From" not in message:
        message["From"] = settings.sender
    try:
        refused, answer = await aiosmtplib.send(
            message, hostname=server.host, port=server.port, username=server.username, password=server.password,
            use_tls=server.implicit_tls, start_tls=server.starttls if not server.implicit_tls else False,
            cert_bundle=server.cafile, timeout=settings.smtp_timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        first = error.recipients[0]
        raise _refusal(server, first.code, first.message) from error
    except aiosmtplib.SMTPResponseException as error:
        raise _refusal(server, error.code, error.message) from error
    except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError) as error:
        if isinstance(error.__cause__, ssl.SSLError):
            raise MailError(f"TLS with {server.description} failed", str(error.__cause__), temporary=False) from error
        log.warning("the mail server %s could not be reached: %s", server.description, error)
        raise MailError(f"Could not reach the mail server {server.description}", str(error), temporary=True) from error
    except ssl.SSLError as error:
        raise MailError(f"TLS with {server.description} failed", str(error), temporary=False) from error
    except aiosmtplib.SMTPException as error:  # e.g. STARTTLS required and not offered
        raise MailError(f"The mail server {server.description} cannot be used", str(error), temporary=False) from error
    failed = {address: f"{reply.code} {reply.message}" for address, reply in refused.items()}
    log.info("mail %r sent through %s (%d recipients refused): %s", message["Subject"], server.description,
             len(failed), answer)
    return Sent(answer=answer, refused=failed)


def _refusal(server: SmtpServer, code: int, text: str) -> MailError:
    temporary = 400 <= code < 500
    log.warning("the mail server %s refused a mail (%s): %s %s", server.description,
                "temporary" if temporary else "permanent", code, text)
    return MailError(f"The mail server {server.description} refused the mail", f"{code} {text}",
                     code=code, temporary=temporary)
