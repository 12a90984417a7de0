"""The PPTX: one slide per section in order, native charts whose series are the API's figures, texts as typed."""

from __future__ import annotations

import datetime as dt
import io

from pptx import Presentation

from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.months import add_months, parse_month
from app.reports.content import MISSING, SECTIONS
from app.reports.pptx import ROWS, render_pptx
from app.steering import actions as steering
from tests.reports.cases import HOSTILE, api_answer, bare_client
from tests.reports.conftest import MONTH
from tests.reports.test_gather import read

MONTHS = [add_months(MONTH, n) for n in range(-11, 1)]


def charts_of(slide) -> dict[str, list]:
    """Each series of the slide's charts by name: its values."""
    return {s.name: list(s.values) for shape in slide.shapes if shape.has_chart for s in shape.chart.series}


def texts_of(deck) -> list[str]:
    """Every text on the slides: text boxes and table cells."""
    found = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                found += [p.text for p in shape.text_frame.paragraphs]
            if shape.has_table:
                found += [cell.text for row in shape.table.rows for cell in row.cells]
    return found


async def test_the_deck_holds_the_figures_the_api_answers_in_native_charts(api, clients):
    first, admin = clients.tenants[0], clients.admin
    tenant = await api_answer(api, admin, first, MONTH)
    blob = render_pptx(await read(api, admin, first.id))
    deck = Presentation(io.BytesIO(blob))
    slides = list(deck.slides)

    assert [s.shapes.title.text for s in slides] == [f"{tenant['name']} – IT health score"] + [t for _, t, _ in SECTIONS[1:]]
    scores = {parse_month(h["month"]): h["score"] for h in tenant["healthHistory"]}
    assert charts_of(slides[0])["Score"] == [scores.get(m) for m in MONTHS]
    assert charts_of(slides[0])["Score"][-1] == tenant["health"]["score"]
    tickets = {parse_month(t["month"]): t for t in tenant["ticketMetrics"]}
    assert charts_of(slides[2]) == {"Tickets": [tickets[m]["total"] if m in tickets else None for m in MONTHS],
                                    "Target": [next(iter(tickets.values()))["target"]] * 12}
    bars, line = next(s for s in slides[2].shapes if s.has_chart).chart.plots  # the target drawn over the bars
    assert line._element.xpath("c:axId/@val") == bars._element.xpath("c:axId/@val") and len(bars.series) == 1
    forecast = tenant["budget"]["forecast"]
    assert charts_of(slides[3]) == {
        "Planned": [float(f["planned"]) for f in forecast],
        "Actual": [None if f["actual"] is None else float(f["actual"]) for f in forecast],
        "Forecast": [float(f["forecast"]) for f in forecast],
    }
    grid = [[0] * 5 for _ in range(5)]
    for risk in tenant["risks"]["nodes"]:
        grid[5 - risk["likelihood"]][risk["impact"] - 1] += 1
    cells = next(s for s in slides[4].shapes if s.has_table).table
    assert [[int(c.text or 0) for c in list(row.cells)[1:]] for row in list(cells.rows)[1:]] == grid
    assert {r["title"] for r in tenant["risks"]["nodes"]} <= set(texts_of(deck))
    assert render_pptx(await read(api, admin, first.id)) == blob, "the same report gives the same bytes"


async def test_a_client_without_data_reads_each_section_s_sentence_and_its_hostile_title_as_typed(api, world):
    tenant, admin = await bare_client(api, world)
    report = await read(api, admin, tenant.id)
    deck = Presentation(io.BytesIO(render_pptx(report)))
    texts = texts_of(deck)

    assert len(deck.slides) == len(SECTIONS)
    assert all(report.missing(part) in texts for part in MISSING if part != "risks")
    assert HOSTILE in texts


async def test_a_table_longer_than_a_slide_says_how_many_more_there_are(api, world):
    tenant, admin = await bare_client(api, world)
    scoped = Principal.system([tenant.id], tenant.practice_id)
    async with tenant_session(api.services.sessionmaker, [tenant.id]) as s:
        meeting = await steering.schedule_meeting(s, scoped, tenant.id, scheduled_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
        for n in range(ROWS + 2):
            await steering.create_action_item(s, scoped, tenant.id, meeting.id, title=f"Follow up {n:02}")
    deck = Presentation(io.BytesIO(render_pptx(await read(api, admin, tenant.id))))
    decisions = deck.slides[[key for key, _, _ in SECTIONS].index("decisions")]
    rows = [row.cells[0].text for row in next(s for s in decisions.shapes if s.has_table).table.rows]
    assert rows[1:] == [f"Follow up {n:02}" for n in range(ROWS - 1)] + ["… and 3 more (the PDF lists them all)"]
