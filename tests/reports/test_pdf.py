"""The PDF: the figures the API answers for the tenant and month, every missing section's sentence, texts as typed."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader

from app.health.formula import band
from app.reports.content import BAND_COLORS, BANDS, MISSING, format_money
from app.reports.pdf import render_pdf
from tests.reports.cases import api_answer, bare_client
from tests.reports.conftest import MONTH
from tests.reports.test_gather import read


def text_of(pdf: bytes) -> str:
    """The PDF's text as pypdf extracts it, its runs of white space (line breaks of wrapped text) as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_the_pdf_holds_the_figures_the_api_answers(api, clients):
    first, admin = clients.tenants[0], clients.admin
    tenant = await api_answer(api, admin, first, MONTH)
    pdf = render_pdf(await read(api, admin, first.id))
    text = text_of(pdf)

    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 5
    health, budget = tenant["health"], tenant["budget"]
    assert f"{tenant['name']} Executive IT report – {MONTH:%B %Y}" in text
    assert f"{health['score']} {BANDS[health['band']]}" in text
    assert all(flat(c["explanation"]) in text for c in health["components"])
    # A month nobody reported has no figures (the seed skips about one in twenty): the year shows what was answered.
    totals = [t["total"] for t in tenant["ticketMetrics"] if t["total"] is not None]
    assert len(totals) >= 6 and " ".join(f"{n:,}" for n in totals) in text
    forecast = sum(Decimal(m["forecast"]) for m in budget["forecast"])
    assert (f"planned {format_money(Decimal(budget['planned']), budget['currency'])}, spent "
            f"{format_money(Decimal(budget['actual']), budget['currency'])} so far, forecast "
            f"{format_money(forecast, budget['currency'])} for the year") in text
    assert tenant["risks"]["nodes"] and all(flat(r["title"]) in text for r in tenant["risks"]["nodes"])
    assert render_pdf(await read(api, admin, first.id)) == pdf, "the same report gives the same bytes"


async def test_a_client_without_data_reads_each_section_s_sentence_and_its_hostile_title_as_typed(api, world):
    tenant, admin = await bare_client(api, world)
    report = await read(api, admin, tenant.id)
    text = text_of(render_pdf(report))

    assert [part for part in MISSING if not report.has(part)] == [part for part in MISSING if part != "risks"]
    assert all(report.missing(part) in text for part in MISSING if part != "risks")
    # The font has no emoji: the PDF shows a ballot box in its place rather than dropping it.
    assert "<script>alert(1)</script> {{ 7*7 }} ü ☐" in text and "49" not in text


def test_every_band_the_formula_gives_has_its_words_and_colour():
    assert {band(score) for score in range(101)} == set(BANDS) == set(BAND_COLORS)
