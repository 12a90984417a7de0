"""The PDF's font and the one door every text goes through to reach a PDF page.

The font is Source Sans Pro (SIL Open Font License 1.1), from the `font-source-sans-pro` wheel, so
the PDF needs nothing on the machine but the wheels; reportlab embeds the subset a report uses.
It covers Latin (with its extensions), Greek and Cyrillic; a character it has no glyph for (an
emoji, a CJK ideograph) is drawn as MISSING_GLYPH rather than as nothing, so the reader sees that
something was there. `paragraph` escapes for reportlab's Paragraph markup: a title such as
`<b>` or `&amp;` is shown as typed, never interpreted.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import font_source_sans_pro
from reportlab.lib.fonts import addMapping
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

FONT, BOLD = "FcioSans", "FcioSans-Semibold"
MISSING_GLYPH = "\u2610"  # a ballot box: the font's stand-in for a character it cannot draw

pdfmetrics.registerFont(TTFont(FONT, font_source_sans_pro.font_files_ttf["SourceSansPro"]))
pdfmetrics.registerFont(TTFont(BOLD, font_source_sans_pro.font_files_ttf["SourceSansProSemibold"]))
addMapping(FONT, 0, 0, FONT)
addMapping(FONT, 1, 0, BOLD)
DRAWN = frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def drawable(text: str) -> str:
    """`text` with each character the font cannot draw replaced by MISSING_GLYPH."""
    return "".join(c if ord(c) in DRAWN else MISSING_GLYPH for c in text)


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (a user's or ours): escaped, so it is never read as markup."""
    return Paragraph(escape(drawable(text)), style)
