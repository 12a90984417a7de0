"""Relay connections over window functions: one statement pages every parent of a loader batch.

A cursor is bound to the list it came from (the parent's id and the list's filters): used on
another tenant's list, or with other filters, it matches nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Generic, TypeVar

import strawberry

from app.errors import Invalid

MAX_FIRST = 200
DEFAULT_FIRST = 50

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    """Subclass per node type (`class RiskConnection(Connection[Risk])`) so the name is stable."""

    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_FIRST
    if first < 0:
        raise Invalid("first must not be negative.", ["first"])
    if first > MAX_FIRST:
        raise Invalid(f"first is capped at {MAX_FIRST}.", ["first"])
    return first


def list_token(scope: object, filters: object) -> str:
    return hashlib.sha256(json.dumps([str(scope), filters], default=str).encode()).hexdigest()[:16]


def encode_cursor(token: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{token}:{position}".encode()).decode()


def cursor_position(after: str | None, token: str) -> int | None:
    """0 for no cursor; the position after which to continue; None for a cursor of another list."""
    if after is None:
        return 0
    try:
        found, position = base64.urlsafe_b64decode(after.encode()).decode().split(":")
        return int(position) if found == token and int(position) >= 0 else None
    except (ValueError, UnicodeDecodeError):
        return None


def build(cls: type[Connection], nodes: list, total: int, offset: int, first: int, token: str, make=None) -> Connection:
    """`nodes` holds up to first+1 items starting after `offset`; the extra one means a next page."""
    shown = nodes[:first]
    edges = [Edge(node=make(n) if make else n, cursor=encode_cursor(token, offset + i + 1)) for i, n in enumerate(shown)]
    return cls(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(nodes) > first,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def empty(cls: type[Connection]) -> Connection:
    return cls(
        edges=[],
        page_info=PageInfo(has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None),
        total_count=0,
    )
