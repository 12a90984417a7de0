"""`FCIO_SMTP_URL`: the forms it takes, and a clear refusal at start-up for one it does not."""

from __future__ import annotations

import pytest

from app.mail.config import SmtpServer, parse_smtp_url
from app.settings import Settings


@pytest.mark.parametrize(("url", "server"), [
    ("smtp://mail.example.com", SmtpServer("mail.example.com", 587, implicit_tls=False, starttls=True)),
    ("smtp://u%40x:s%3Acret@mail.example.com:2525?starttls=true",
     SmtpServer("mail.example.com", 2525, implicit_tls=False, starttls=True, username="u@x", password="s:cret")),
    ("smtp://localhost:1025?starttls=false", SmtpServer("localhost", 1025, implicit_tls=False, starttls=False)),
    ("smtps://relay.example.com?cafile=/etc/ca.pem",
     SmtpServer("relay.example.com", 465, implicit_tls=True, starttls=False, cafile="/etc/ca.pem")),
])
def test_the_url_forms(url, server):
    assert parse_smtp_url(url) == server


@pytest.mark.parametrize(("url", "reason"), [
    ("mail.example.com:587", "must start with smtp:// or smtps://"),
    ("http://mail.example.com", "must start with smtp:// or smtps://"),
    ("smtp://", "names no host"),
    ("smtp://mail.example.com:99999", "port"),
    ("smtp://mail.example.com?starttls=maybe", "starttls must be true or false"),
    ("smtps://mail.example.com?starttls=true", "unknown options starttls"),
])
def test_a_bad_url_is_refused_at_start_up_with_the_reason(url, reason):
    with pytest.raises(ValueError, match=reason):
        Settings(smtp_url=url)


def test_the_description_never_shows_the_password():
    server = parse_smtp_url("smtp://user:hunter2-secret@mail.example.com")
    assert server.description == "mail.example.com:587 (STARTTLS)" and "hunter2" not in repr(server) + server.description
