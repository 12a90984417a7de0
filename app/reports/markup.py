"""HTML built from elements, never from strings: every text is escaped on its way in.

`el("td", risk.title)` escapes the title; only what `el` (or `raw`, for the page's own constants)
returned passes unescaped, so a renderer that forgets to escape cannot be written with these.
Tag and attribute names come from code; attribute values are escaped like texts.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


class Markup(str):
    """Text that is already HTML: built by `el` or `raw`, so safe to insert as it is."""


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def raw(constant: str) -> Markup:
    """The page's own markup written in code (the doctype, the style sheet): never a user's text."""
    return Markup(constant)


def children(items: Iterable) -> Iterable[Markup]:
    for item in items:
        if item is None:
            continue
        if isinstance(item, list | tuple):
            yield from children(item)
        else:
            yield escape(item)


def attribute(name: str) -> str:
    """`class_` -> class, `data_month` -> data-month, `stroke_width` -> stroke-width; `viewBox` stays."""
    return name.rstrip("_").replace("_", "-")


def el(tag: str, *content, **attributes) -> Markup:
    """`<tag attributes>content</tag>`; content may nest lists, None is left out, so is a None attribute."""
    attrs = "".join(f' {attribute(k)}="{escape(v)}"' for k, v in attributes.items() if v is not None)
    return Markup(f"<{tag}{attrs}>{''.join(children(content))}</{tag}>")
