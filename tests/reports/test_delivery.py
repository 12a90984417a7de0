"""The executive report by mail: queueing (`sendExecutiveReport`, the monthly run), the worker's job
against real SMTP servers in process (aiosmtpd), retries and FAILED, and `reportDeliveries`."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.api import ids
from app.auth.principal import Principal
from app.db.queue import use_queue
from app.db.scope import tenant_session
from app.health.recompute import SCORE_BATCH, batch_job_id
from app.months import month_label
from app.reports import delivery
from app.reports.models import DeliveryState, ReportDelivery
from app.risks.actions import create_risk
from app.risks.models import RiskCategory
from app.tenants.models import Practice, Role
from tests.apitools import user_error_codes
from tests.mail.conftest import Recorder, Refuser
from tests.reports.conftest import MONTH, scored

SEND = ("mutation($input: SendExecutiveReportInput!) { sendExecutiveReport(input: $input) { "
        "deliveries { id month recipient state sentAt error } userErrors { code field message } } }")
LIST = "query($id: ID!) { tenant(id: $id) { reportDeliveries { id month recipient state sentAt error } } }"


def gid(tenant) -> str:
    return ids.encode("Tenant", tenant.id)


@pytest.fixture
def run_worker(run_burst, settings):
    """A burst worker on the test's queue (tests/workers/conftest.py), its mail going to `smtp_url`
    and its retries `retries` seconds apart."""

    async def run(smtp_url: str, retries=(0.1, 0.2)):
        mail = settings.model_copy(update={"smtp_url": smtp_url, "env": "test", "report_retry_seconds": list(retries)})
        return await run_burst(ctx={"settings": mail})

    return run


async def send(api, world, queue, user, tenant, recipients=None, month=MONTH) -> list[ReportDelivery]:
    """`send_executive_report` as `user` would through the API, its jobs enqueued on the test's queue."""
    principal = await world.principal(user)
    async with tenant_session(api.services.sessionmaker, *principal.scope()) as session:
        use_queue(session, queue)
        return await delivery.send_executive_report(session, principal, tenant.id, month, recipients)


async def stored(api, tenant) -> list[ReportDelivery]:
    async with tenant_session(api.services.sessionmaker, [tenant.id]) as session:
        return list(await session.scalars(select(ReportDelivery).where(ReportDelivery.tenant_id == tenant.id)
                                          .order_by(ReportDelivery.recipient)))


def pdf_text(mail) -> str:
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    return " ".join(page.extract_text() for page in reader.pages)


async def test_the_job_mails_the_pdf_and_a_link_that_opens_the_report(api, world, clients, queue, run_worker,
                                                                       smtp_server):
    recorder = Recorder()
    server = smtp_server(recorder)
    tenant = clients.tenants[0]
    (queued,) = await send(api, world, queue, clients.admin, tenant)
    assert (queued.recipient, queued.state) == (clients.executive.email, DeliveryState.QUEUED)

    await run_worker(server.url)
    (mail,) = recorder.messages()
    assert mail["To"] == clients.executive.email and tenant.name in mail["Subject"]
    assert f"{MONTH:%B %Y}" in mail["Subject"] and str(queued.id) in mail["Message-ID"]
    assert tenant.name in pdf_text(mail)
    (link,) = [w for w in mail.get_body(("plain",)).get_content().split() if "?access=" in w]
    target = urlsplit(link)
    response = await api.http.get(f"{target.path}?{target.query}")
    assert response.status_code == 200 and tenant.name in response.text
    (sent,) = await stored(api, tenant)
    assert (sent.state, sent.attempts, sent.error) == (DeliveryState.SENT, 1, None) and sent.sent_at is not None

    # Queued again, sent again (the API, a re-run): the same row, and the job sends nothing more.
    again = await send(api, world, queue, clients.admin, tenant)
    assert [d.id for d in again] == [queued.id]
    await delivery.enqueue_jobs(queue, [(str(tenant.id), queued.id)])
    await run_worker(server.url)
    assert len(recorder.envelopes) == 1
    assert [(d.state, d.attempts) for d in await stored(api, tenant)] == [(DeliveryState.SENT, 1)]


def attached_pdf(mail) -> bytes:
    (attachment,) = list(mail.iter_attachments())
    return attachment.get_content()


async def test_recipients_of_a_tenant_get_the_same_pdf_and_a_change_in_between_shows(
        api, world, clients, queue, run_worker, smtp_server):
    """The worker renders a tenant's PDF once for its recipients of the month, and only while the
    report it gathers for each delivery is the one the PDF was rendered from."""
    recorder = Recorder()
    url = smtp_server(recorder).url
    tenant = clients.tenants[0]
    await send(api, world, queue, clients.admin, tenant, ["one@client.example", "two@client.example"])
    await run_worker(url)
    first, second = recorder.messages()
    assert attached_pdf(first) == attached_pdf(second)

    async with tenant_session(api.services.sessionmaker, [tenant.id]) as s:
        await create_risk(s, Principal.system([tenant.id], tenant.practice_id), tenant.id, title="Backup vendor exits",
                          category=RiskCategory.VENDOR, likelihood=5, impact=5)
    await send(api, world, queue, clients.admin, tenant, ["three@client.example"])
    await run_worker(url)
    third = recorder.messages()[-1]
    assert third["To"] == "three@client.example" and "Backup vendor exits" in pdf_text(third)
    assert "Backup vendor exits" not in pdf_text(first)


async def test_a_temporary_refusal_is_retried_then_failed_with_the_answer(api, world, clients, queue, run_worker,
                                                                          smtp_server):
    server = smtp_server(Refuser("451 4.3.0 Try again later"))
    tenant = clients.tenants[0]
    await send(api, world, queue, clients.admin, tenant)
    await run_worker(server.url, retries=(0.1, 0.2))
    (failed,) = await stored(api, tenant)
    assert (failed.state, failed.attempts, failed.sent_at) == (DeliveryState.FAILED, 3, None)
    assert failed.error == "451 4.3.0 Try again later"


async def test_a_permanent_refusal_fails_at_once_and_sending_again_tries_anew(api, world, clients, queue,
                                                                               run_worker, smtp_server):
    server = smtp_server(Refuser("550 5.1.1 No such user", at="DATA"))
    tenant = clients.tenants[0]
    await send(api, world, queue, clients.admin, tenant)
    await run_worker(server.url)
    (failed,) = await stored(api, tenant)
    assert (failed.state, failed.attempts, failed.error) == (DeliveryState.FAILED, 1, "550 5.1.1 No such user")

    recorder = Recorder()
    (again,) = await send(api, world, queue, clients.admin, tenant)
    assert (again.id, again.state, again.attempts) == (failed.id, DeliveryState.QUEUED, 0)
    await run_worker(smtp_server(recorder).url)
    assert len(recorder.messages()) == 1
    assert [(d.state, d.error) for d in await stored(api, tenant)] == [(DeliveryState.SENT, None)]


async def test_admins_and_cios_send_executives_and_others_may_not(api, world, clients):
    tenant, other = clients.tenants[:2]
    cio = await world.user(clients.practice, Role.CIO, [tenant])
    payload = await api.mutate(cio, SEND, {"tenantId": gid(tenant), "recipients": ["Dana@Client.example"]})
    assert payload["userErrors"] == []
    assert [(d["recipient"], d["state"], d["month"]) for d in payload["deliveries"]] == [
        ("dana@client.example", "QUEUED", f"{MONTH:%Y-%m}")]

    refused = await api.run(clients.executive, SEND, {"input": {"tenantId": gid(tenant)}})
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    foreign = await world.tenant(await world.practice())
    for target in (other, foreign):  # not granted to the CIO; another practice's
        payload = await api.mutate(cio, SEND, {"tenantId": gid(target)})
        assert user_error_codes(payload) == [("NOT_FOUND", ["tenantId"])]
    assert await stored(api, other) == []


async def test_bad_recipients_and_unscored_months_are_invalid_and_queue_nothing(api, world, clients):
    tenant = clients.tenants[0]
    cases = [
        ({"recipients": ["ok@client.example", "not an address"]}, [("INVALID", ["recipients", "1"])]),
        ({"recipients": ["a@b.example\nBcc: x@evil.example"]}, [("INVALID", ["recipients", "0"])]),
        ({"recipients": [f"r{n}@client.example" for n in range(delivery.MAX_RECIPIENTS + 1)]},
         [("LIMIT", ["recipients"])]),
        ({"recipients": []}, [("INVALID", ["recipients"])]),
        ({"month": "2001-01"}, [("INVALID", ["month"])]),
    ]
    for extra, expected in cases:
        payload = await api.mutate(clients.admin, SEND, {"tenantId": gid(tenant), **extra})
        assert user_error_codes(payload) == expected, extra
        assert payload["deliveries"] == [] and payload["userErrors"][0]["message"]
    assert await stored(api, tenant) == []


async def test_report_deliveries_lists_newest_first_for_staff_only(api, world, clients):
    tenant = clients.tenants[0]
    for address in ("first@client.example", "second@client.example"):
        await api.mutate(clients.admin, SEND, {"tenantId": gid(tenant), "recipients": [address]})
    listed = (await api.data(clients.admin, LIST, {"id": gid(tenant)}))["tenant"]["reportDeliveries"]
    assert [d["recipient"] for d in listed] == ["second@client.example", "first@client.example"]
    assert {(d["state"], d["sentAt"], d["error"]) for d in listed} == {("QUEUED", None, None)}
    node = await api.data(clients.admin, "query($id: ID!) { node(id: $id) { ... on ReportDelivery { recipient } } }",
                          {"id": listed[0]["id"]})
    assert node["node"] == {"recipient": "second@client.example"}
    refused = await api.run(clients.executive, LIST, {"id": gid(tenant)})
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


SET_DELIVERY = ("mutation($input: SetReportDeliveryInput!) { setReportDelivery(input: $input) { enabled "
                "userErrors { code } } }")
SET_OPT_OUT = ("mutation($input: SetReportOptOutInput!) { setReportOptOut(input: $input) { optOut "
               "userErrors { code } } }")


async def test_the_monthly_run_mails_each_executive_of_practices_with_the_report_on_once(
        api, world, clients, queue, run_worker, smtp_server):
    first, second = clients.tenants[:2]
    second_executive = await world.user(clients.practice, Role.CLIENT_EXECUTIVE, [second])
    opted_out = await world.user(clients.practice, Role.CLIENT_EXECUTIVE, [first])
    assert (await api.mutate(opted_out, SET_OPT_OUT, {"optOut": True})) == {"optOut": True, "userErrors": []}
    off = await world.practice()
    off_tenant = await world.tenant(off)
    await world.user(off, Role.CLIENT_EXECUTIVE, [off_tenant])
    await scored(api.services.sessionmaker, [off_tenant])
    off_admin = await world.user(off, Role.PRACTICE_ADMIN)
    assert (await api.mutate(off_admin, SET_DELIVERY, {"enabled": False})) == {"enabled": False, "userErrors": []}
    assert "practice.reports_enabled" in await api.audit_actions(off_tenant)
    unscored = await world.tenant(clients.practice)
    await world.user(clients.practice, Role.CLIENT_EXECUTIVE, [unscored])

    assert await delivery.queue_scored_batch(queue, api.services.sessionmaker, [unscored.id], MONTH) == 0

    batch = [str(t.id) for t in (first, second, off_tenant)]
    recorder = Recorder()
    url = smtp_server(recorder).url
    for _ in range(2):  # the cron's batch, then a re-run of it: nothing is queued or mailed twice
        await queue.enqueue_job(SCORE_BATCH, batch, month_label(MONTH), _job_id=batch_job_id(MONTH, batch))
        await run_worker(url)
        assert sorted(m["To"] for m in recorder.messages()) == sorted([clients.executive.email, second_executive.email])
    assert [(d.recipient, d.state) for d in await stored(api, first)] == [(clients.executive.email, DeliveryState.SENT)]
    assert [d.recipient for d in await stored(api, second)] == [second_executive.email]
    assert await stored(api, off_tenant) == [] and await stored(api, unscored) == []

    # The opted-out executive is not a default recipient of sendExecutiveReport either, but may be named.
    (named,) = await send(api, world, queue, clients.admin, first, [opted_out.email])
    assert named.recipient == opted_out.email


async def test_only_admins_switch_the_report_and_only_users_opt_out(api, world, clients):
    cio = await world.user(clients.practice, Role.CIO, clients.tenants)
    for user in (cio, clients.executive):
        refused = await api.run(user, SET_DELIVERY, {"input": {"enabled": False}})
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    async with tenant_session(api.services.sessionmaker, ()) as session:
        assert (await session.get(Practice, clients.practice.id)).reports_enabled is True
    assert (await api.mutate(clients.executive, SET_OPT_OUT, {"optOut": True}))["optOut"] is True
    assert "user.report_opt_out" in await api.audit_actions(clients.tenants[0])
    assert (await api.mutate(clients.executive, SET_OPT_OUT, {"optOut": False}))["optOut"] is False


SETTINGS = "{ reportDeliveryEnabled reportOptOut }"


async def test_each_user_reads_back_the_practice_switch_and_their_own_opt_out(api, world, clients):
    cio = await world.user(clients.practice, Role.CIO, clients.tenants)
    assert await api.data(clients.executive, SETTINGS) == {"reportDeliveryEnabled": True, "reportOptOut": False}
    await api.mutate(clients.admin, SET_DELIVERY, {"enabled": False})
    await api.mutate(clients.executive, SET_OPT_OUT, {"optOut": True})
    assert await api.data(clients.executive, SETTINGS) == {"reportDeliveryEnabled": False, "reportOptOut": True}
    assert await api.data(cio, SETTINGS) == {"reportDeliveryEnabled": False, "reportOptOut": False}
    await api.mutate(clients.admin, SET_DELIVERY, {"enabled": True})
    assert await api.data(clients.admin, SETTINGS) == {"reportDeliveryEnabled": True, "reportOptOut": False}


async def test_the_sweeper_enqueues_a_delivery_whose_job_was_lost_and_never_doubles_one(
        api, world, clients, queue, run_worker, smtp_server):
    tenant = clients.tenants[0]
    principal = await world.principal(clients.admin)
    async with tenant_session(api.services.sessionmaker, *principal.scope()) as session:  # no queue: the job is lost
        (lost,) = await delivery.send_executive_report(session, principal, tenant.id, MONTH, None)
    sessionmaker = api.services.sessionmaker
    assert await delivery.sweep_queued(queue, sessionmaker, 500) >= 1
    assert await queue.zscore(queue.default_queue_name, delivery.job_id(lost.id)) is not None
    assert await delivery.sweep_queued(queue, sessionmaker, 500) == 0  # queued already: not again
    recorder = Recorder()
    await run_worker(smtp_server(recorder).url)
    assert [m["To"] for m in recorder.messages() if m["Subject"].startswith(tenant.name)] == [clients.executive.email]
    assert [d.state for d in await stored(api, tenant)] == [DeliveryState.SENT]
