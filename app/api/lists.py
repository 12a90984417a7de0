"""Loading pages of lists for many parents in one statement (window functions per parent)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select, tuple_

from app.api import pagination
from app.api.context import Context


class Listing(NamedTuple):
    """One list's rule, for both read paths: the executor's query and the compiled statement.

    Built by the list's own function in its area (`risks.risk_list`, ...) on the table or an alias
    of it, so a change there changes both paths at once.
    """

    where: list  # SQLAlchemy conditions on the list's rows
    order: list  # its ORDER BY
    key: tuple  # what names the list: its list token, and so its cursors, are built from it
    # Its length when the caller already knows it (an admin's unsearched tenants: its roster), so
    # neither path counts the rows to say so; None: counted.
    total: int | None = None


async def fetch_pages(
    ctx: Context,
    query: Select,
    parent,
    order_by: Sequence,
    parents: list,
    offset: int,
    first: int,
    total: int | None = None,
) -> list[tuple[list, int]]:
    """(rows, total) for each parent in `parents` order; `query` selects the rows of all of them.

    A `total` known beforehand (one parent's, `Listing.total`) is not counted: the count is a
    window over every row of the list, where the page reads only up to its end."""
    numbered = func.row_number().over(partition_by=parent, order_by=order_by).label("_pos")
    counted = [func.count().over(partition_by=parent).label("_total")] if total is None else []
    inner = query.add_columns(*counted, numbered).subquery()
    statement = (
        select(inner)
        .where(inner.c._pos > offset, inner.c._pos <= offset + first + 1)
        .order_by(inner.c[parent.key], inner.c._pos)
    )
    rows = await ctx.db.rows(statement)
    grouped: dict[Any, list] = {p: [] for p in parents}
    for row in rows:
        grouped[getattr(row, parent.key)].append(row)
    if total is not None:
        return [(grouped[p], total) for p in parents]
    totals = {getattr(row, parent.key): row._total for row in rows}
    past_the_end = [p for p in parents if p not in totals] if offset else []
    if past_the_end:  # a cursor beyond the last row: the page is empty, the list's total is not
        counted = query.with_only_columns(parent, func.count()).group_by(parent)
        totals.update((key, n) for key, n in await ctx.db.rows(counted))
    return [(grouped[p], totals.get(p, 0)) for p in parents]


async def child_connection(
    ctx: Context,
    *,
    name: str,
    parent_id,
    first: int | None,
    after: str | None,
    filters: Hashable,
    make_query: Callable[[list], Select],
    parent_column,
    order_by: Sequence,
    make_node: Callable[[Any], Any],
    connection: type[pagination.Connection],
    total: int | None = None,
) -> pagination.Connection:
    """A page of one parent's list, batched with every sibling asking for the same page shape.

    `filters` names the list (filters and order); with the page's offset and size it keys the
    request's loader, so all tenants of a portfolio asking `risks(first: 5)` share one statement.
    """
    size = pagination.page_size(first)
    token = pagination.list_token(parent_id, filters)
    offset = pagination.cursor_position(after, token)
    if offset is None:
        return pagination.empty(connection)

    async def batch(parents: list) -> list:
        return await fetch_pages(ctx, make_query(parents), parent_column, order_by, parents, offset, size, total)

    rows, counted = await ctx.loader((name, filters, offset, size), batch).load(parent_id)
    return pagination.build(connection, rows, counted, offset, size, token, make_node)


async def row_by_key(ctx: Context, model, tenant_id, id) -> Any:
    """One tenant-owned row by primary key, batched per request (`<Model>ByKeyLoader`)."""
    table = model.__table__

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(select(table).where(tuple_(table.c.tenant_id, table.c.id).in_(keys)))
        found = {(r.tenant_id, r.id): r for r in rows}
        return [found.get(k) for k in keys]

    return await ctx.loader(f"{model.__name__}ByKey", batch).load((tenant_id, id))


async def rows_by_tenant(ctx: Context, name: Hashable, tenant_id, make_query: Callable[[list], Select]) -> list:
    """All rows of a short per-tenant list (vendors, policies, ...), batched over tenants."""
    return await rows_by_parent(ctx, name, tenant_id, make_query, lambda row: row.tenant_id)


async def rows_by_parent(
    ctx: Context, name: Hashable, key, make_query: Callable[[list], Select], parent_of: Callable[[Any], Any]
) -> list:
    """All rows of a short list of one parent (a review's answers: `(tenant_id, review_id)`), batched
    over parents; `parent_of(row)` is the parent key a row belongs to."""

    async def batch(keys: list) -> list:
        grouped: dict[Any, list] = {k: [] for k in keys}
        for row in await ctx.db.rows(make_query(keys)):
            grouped[parent_of(row)].append(row)
        return [grouped[k] for k in keys]

    return await ctx.loader(name, batch).load(key)
