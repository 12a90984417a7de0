"""`FCIO_SMTP_URL`: which SMTP server mail goes through, and how (README.md, "Mail").

    smtp://[user[:password]@]host[:port][?starttls=true|false][&cafile=/path/ca.pem]
    smtps://[user[:password]@]host[:port][?cafile=/path/ca.pem]

`smtp://` (port 587 by default) upgrades with STARTTLS and refuses to send when the server does
not offer it, unless `starttls=false` says the connection stays plain (the development server,
a relay on localhost). `smtps://` (port 465 by default) speaks TLS from the first byte. The
server's certificate is always checked, against the system's authorities or `cafile`. A user
name or password with reserved characters is percent-encoded (`p%40ss` for `p@ss`).

This module imports nothing of the app: app/settings.py checks the URL with it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
OPTIONS = {"smtp": {"starttls", "cafile"}, "smtps": {"cafile"}}
YES_NO = {"true": True, "false": False}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool  # smtp:// upgraded, required
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # kept out of logs and tracebacks
    cafile: str | None = None

    @property
    def description(self) -> str:
        """Where mail goes, for messages and logs (never the password)."""
        security = "TLS" if self.implicit_tls else "STARTTLS" if self.starttls else "plain"
        return f"{self.host}:{self.port} ({security})"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server of an `FCIO_SMTP_URL`; ValueError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"FCIO_SMTP_URL must start with smtp:// or smtps://, got {scheme or 'no scheme'!r}.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError("FCIO_SMTP_URL has a port that is not a number between 1 and 65535.") from None
    if not parts.hostname:
        raise ValueError("FCIO_SMTP_URL names no host, e.g. smtp://user:password@mail.example.com:587.")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(options) - OPTIONS[scheme]
    if unknown:
        raise ValueError(f"FCIO_SMTP_URL has unknown options {', '.join(sorted(unknown))} "
                         f"({scheme}:// takes {', '.join(sorted(OPTIONS[scheme]))}).")
    starttls = options.get("starttls", ["true"])[-1].lower()
    if starttls not in YES_NO:
        raise ValueError("FCIO_SMTP_URL's starttls must be true or false.")
    return SmtpServer(
        host=parts.hostname, port=port, implicit_tls=scheme == "smtps",
        starttls=scheme == "smtp" and YES_NO[starttls],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        cafile=options.get("cafile", [None])[-1] or None,
    )


def plain_url(host: str, port: int, username: str | None = None, password: str | None = None) -> str:
    """An `smtp://` URL without TLS (the development server's), credentials percent-encoded."""
    login = f"{quote(username, safe='')}:{quote(password or '', safe='')}@" if username else ""
    return f"smtp://{login}{host}:{port}?starttls=false"
