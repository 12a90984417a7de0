"""The Node interface, the registry that resolves any global id, and row-to-type construction."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from app.api import ids
from app.api.context import Context

T = TypeVar("T")


@strawberry.interface
class Node:
    id: strawberry.ID


# Type name -> async (context, key) -> object or None. Filled by each area module at import.
RESOLVERS: dict[str, Callable[[Context, ids.Key], Awaitable[Any]]] = {}


def resolves(type_name: str):
    def register(fn):
        RESOLVERS[type_name] = fn
        return fn

    return register


async def resolve_node(ctx: Context, value: str) -> Any:
    key = ids.decode(value)
    resolver = RESOLVERS.get(key.type) if key else None
    if resolver is None or (key.tenant_id is not None and not ctx.viewer.sees(key.tenant_id)):
        return None
    return await resolver(ctx, key)


_INIT_FIELDS: dict[type, tuple[str, ...]] = {}


def from_row(cls: type[T], row: Any, **values: Any) -> T:
    """Build a strawberry type from a row or ORM object: same-named attributes, plus `values`."""
    names = _INIT_FIELDS.get(cls)
    if names is None:
        names = _INIT_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return cls(**{n: values[n] if n in values else getattr(row, n) for n in names})
