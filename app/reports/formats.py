"""The report's formats by extension: what the endpoint serves and the CLI writes.

A format is its media type and a function from `Report` to the bytes or text of the file; adding
one is one line here (the endpoint, the CLI, the GraphQL URLs' docs and the bench read this map).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.reports.content import Report
from app.reports.html import render_html
from app.reports.pdf import render_pdf
from app.reports.pptx import render_pptx


@dataclass(frozen=True)
class Format:
    media_type: str
    render: Callable[[Report], str | bytes]
    inline: bool = False  # shown in the browser; otherwise served as a download (Content-Disposition)
    # Rendered off the event loop: a PDF or a deck takes 45-65 ms. The page takes ~2 ms, about what
    # handing it to a thread and back cost the request, so it is rendered in the loop.
    in_thread: bool = True


FORMATS: dict[str, Format] = {
    "html": Format("text/html; charset=utf-8", render_html, inline=True, in_thread=False),
    "pdf": Format("application/pdf", render_pdf),
    "pptx": Format("application/vnd.openxmlformats-officedocument.presentationml.presentation", render_pptx),
}


def render(report: Report, extension: str) -> bytes:
    """The file of `report` in the format named by `extension` (a key of FORMATS)."""
    body = FORMATS[extension].render(report)
    return body.encode() if isinstance(body, str) else body


def file_name(report: Report, extension: str) -> str:
    """What a download is saved as: the tenant's name and the month, in plain ASCII."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", report.tenant).strip("-") or "report"
    return f"{name}-{report.month:%Y-%m}.{extension}"
