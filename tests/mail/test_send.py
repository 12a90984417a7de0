"""Sending mail through real SMTP servers: what arrives, over which security, and how failures read."""

from __future__ import annotations

import asyncio
from email import policy
from email.parser import BytesParser

import pytest

from app.db.embedded import free_port
from app.mail.devserver import start_mail_server
from app.mail.send import MailError, send_message
from app.settings import Settings
from tests.mail.conftest import PASSWORD, USER, Recorder, Refuser, authenticate, message, settings_for

REPORT = bytes(range(256)) * 40  # a binary attachment: every byte value


async def test_a_mail_with_an_attachment_arrives_intact(smtp_server):
    recorder = Recorder()
    server = smtp_server(recorder)
    mail = message(subject="Rapport d'IT — novembre ✓")
    mail["Cc"] = "cfo@client.example"
    mail["Bcc"] = "archive@practice.example"
    mail.add_alternative("<p>The report is <b>attached</b>.</p>", subtype="html")
    mail.add_attachment(REPORT, maintype="application", subtype="pdf", filename="report-2026-11.pdf")

    sent = await send_message(settings_for(server.url, public_url="https://fcio.example.com"), mail)

    assert "Kept" in sent.answer and sent.refused == {}
    [envelope] = recorder.envelopes
    assert sorted(envelope.rcpt_tos) == ["archive@practice.example", "cfo@client.example", "dana@client.example"]
    [received] = recorder.messages()
    assert received["Subject"] == "Rapport d'IT — novembre ✓"
    assert received["From"] == "fcio <noreply@fcio.example.com>"
    assert received["Bcc"] is None  # the blind copy is in the envelope only
    assert received.get_body(("plain",)).get_content().strip() == "The report is attached."
    assert "<b>attached</b>" in received.get_body(("html",)).get_content()
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "report-2026-11.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == REPORT


async def test_the_sender_is_the_configured_one(smtp_server):
    recorder = Recorder()
    server = smtp_server(recorder)
    await send_message(settings_for(server.url, mail_from="Northwind IT <it@northwind.example>"), message())
    assert recorder.messages()[0]["From"] == "Northwind IT <it@northwind.example>"
    assert recorder.envelopes[0].mail_from == "it@northwind.example"


async def test_credentials_over_starttls(smtp_server, tls):
    recorder = Recorder()
    server = smtp_server(recorder, tls_context=tls.context, require_starttls=True, auth_required=True,
                         auth_require_tls=True, authenticator=authenticate)
    url = f"smtp://{USER}:p%40ss%3Aw%2Frd@{server.address}?cafile={tls.cafile}"
    assert Settings(smtp_url=url).smtp_server.password == PASSWORD

    await send_message(settings_for(url), message())
    assert len(recorder.envelopes) == 1

    wrong = url.replace("p%40ss", "guess")
    with pytest.raises(MailError) as refused:
        await send_message(settings_for(wrong), message())
    assert refused.value.code == 535 and not refused.value.temporary
    assert len(recorder.envelopes) == 1


async def test_implicit_tls_checks_the_certificate(smtp_server, tls):
    recorder = Recorder()
    server = smtp_server(recorder, ssl_context=tls.context)
    await send_message(settings_for(f"smtps://{server.address}?cafile={tls.cafile}"), message())
    assert len(recorder.envelopes) == 1

    with pytest.raises(MailError) as untrusted:  # the system's authorities do not know the test's
        await send_message(settings_for(f"smtps://{server.address}"), message())
    assert not untrusted.value.temporary and "certificate" in str(untrusted.value).lower()
    assert len(recorder.envelopes) == 1


async def test_starttls_is_required_unless_the_url_says_otherwise(smtp_server):
    recorder = Recorder()
    server = smtp_server(recorder)
    with pytest.raises(MailError) as plain:
        await send_message(settings_for(f"smtp://{server.address}"), message())
    assert not plain.value.temporary and "STARTTLS" in str(plain.value)
    assert recorder.envelopes == []


@pytest.mark.parametrize(("answer", "at", "temporary"), [
    ("451 4.3.0 Mailbox busy, try again later", "RCPT", True),
    ("452 4.2.2 Mailbox full", "DATA", True),
    ("550 5.1.1 No such user here", "RCPT", False),
    ("554 5.7.1 Message rejected as spam", "DATA", False),
])
async def test_refusals_are_temporary_or_permanent_and_carry_the_answer(smtp_server, answer, at, temporary):
    server = smtp_server(Refuser(answer, at))
    with pytest.raises(MailError) as refused:
        await send_message(settings_for(server.url), message())
    assert refused.value.temporary is temporary
    assert refused.value.code == int(answer[:3])
    assert refused.value.answer == answer
    assert answer in str(refused.value) and server.address in str(refused.value)


async def test_an_unreachable_server_is_a_temporary_failure():
    port = free_port()  # nothing listens there
    with pytest.raises(MailError) as unreachable:
        await send_message(settings_for(f"smtp://127.0.0.1:{port}?starttls=false"), message())
    assert unreachable.value.temporary and unreachable.value.code is None
    assert str(unreachable.value).startswith(f"Could not reach the mail server 127.0.0.1:{port}")


async def test_a_server_that_never_answers_times_out_as_a_temporary_failure():
    async def silent(reader, writer):
        await reader.read()  # no greeting, ever: until the client gives up
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        with pytest.raises(MailError) as slow:
            await send_message(settings_for(f"smtp://127.0.0.1:{port}?starttls=false", smtp_timeout_seconds=0.5), message())
    finally:
        listener.close()
    assert slow.value.temporary and "timed out" in str(slow.value).lower()


async def test_no_smtp_url_is_a_permanent_failure_that_says_so():
    with pytest.raises(MailError) as unset:
        await send_message(Settings(smtp_url=None, env="test"), message())
    assert not unset.value.temporary and "FCIO_SMTP_URL" in str(unset.value)


async def test_the_development_server_keeps_every_mail_as_an_eml_file(tmp_path):
    server, url = start_mail_server(tmp_path / "mail")
    try:
        first = message(subject="First")
        first["Bcc"] = "archive@practice.example"
        await send_message(settings_for(url), first)
        await send_message(settings_for(url), message(subject="Second"))
    finally:
        server.stop()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in (tmp_path / "mail").iterdir()] != [] and len(files) == 2
    kept = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert [m["Subject"] for m in kept] == ["First", "Second"]
    assert kept[0]["X-Envelope-To"] == "dana@client.example, archive@practice.example"
    assert kept[1].get_content().strip() == "The report is attached."
