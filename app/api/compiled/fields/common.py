"""What the field compilers share: registering plain columns, list pages and owned lists built
from an area's listing rule, and the ticket target both a tenant and a portfolio row show."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from sqlalchemy import Date, Integer, String, literal_column, select

from app.api.compiled import render, sql
from app.api.compiled.compiler import Compiler, Unsupported, compiles, page_bounds
from app.api.lists import Listing
from app.health import formula


def columns(type_name: str, **fields: Callable[[str], str]) -> None:
    """Fields that are a scalar expression of their row only."""
    for name, expression in fields.items():
        compiles(type_name, name)(lambda c, row, node, args, expression=expression: sql.value(expression(row)))


def col(name: str, convert: Callable[[str], str] | None = None) -> Callable[[str], str]:
    return (lambda row: convert(f"{row}.{name}")) if convert else (lambda row: f"{row}.{name}")


def value(name: str, type_=String):
    """A column of a compiled row (`a0.employee_count`) as a SQLAlchemy expression, for an area's rule."""
    return literal_column(name, type_)


@functools.cache
def aliased(table, name: str):
    """The table under the statement's alias `name`, for an area's rule; kept, as building one costs
    more than the rest of a compile and the names repeat (r, a0, a1, ...)."""
    return table.alias(name)


def listing_sql(make: Callable[..., Listing], table, *args, made_of: tuple = ()) -> tuple[render.Text, render.Text, tuple]:
    """A list's rule from its area, `make(table alias, *args)`: its conditions, order and key,
    rendered once per arguments and alias. `made_of` names the other definitions the rule calls,
    so a changed one is a new text."""

    def build():
        listing = make(table, *args)
        return render.text_of(listing.where), render.text_of(listing.order, ", "), listing.key

    return render.once((make, *made_of, table, *args), build)


def nested_page(c: Compiler, node, args: dict, type_name: str, *, parent: str, table, listing,
                of: str = "tenant_id") -> str:
    """A list of the row `parent` as a connection (first page only: a cursor into it goes to the
    executor): a tenant's, or with `of` the column naming a parent of that tenant (`meeting_id`).
    `listing(alias)` is its rule (`listing_sql`) on an alias of `table`."""
    if args.get("after") is not None:
        raise Unsupported("cursor on a nested list")
    first = page_bounds(args.get("first"))
    where, _, key = listing(aliased(table, "r"))
    token = json.dumps(key, default=str)  # a parameter where a cursor is asked for
    owner = [f"r.tenant_id = {c.tenant_of(parent, 'id')}"] if of == "tenant_id" else [
        f"r.tenant_id = {c.tenant_of(parent)}", f"r.{of} = {parent}.id"]
    conditions = " AND ".join([*owner, *([where.into(c)] if where.text else [])])
    return c.connection(
        type_name, node, source=f"FROM {table.name} r WHERE {conditions}",
        order=lambda alias: listing(aliased(table, alias))[1].into(c),
        first=first, offset=0, token=lambda page: sql.list_token(f"{page}.{of}", c.param(token, "text")),
    )


def owned_list(c: Compiler, node, type_name: str, table, parent: str, order, where=None, args: tuple = ()) -> str:
    """A tenant's rows of `table` as a JSON list of `type_name` objects; `order(alias)` and
    `where(alias, *args)` are the area's rules."""
    t = aliased(table, c.alias())
    conditions = [f"{t.name}.tenant_id = {c.tenant_of(parent, 'id')}"]
    if where is not None:
        found = render.rule(c, (where, t, *args), lambda: where(t, *args))
        conditions += [found] if found else []
    ordered = render.rule(c, (order, t), lambda: order(t), ", ")
    return (f"(SELECT {sql.json_list(c.object(type_name, t.name, node), ordered)} "
            f"FROM {table.name} {t.name} WHERE {' AND '.join(conditions)})")


def chosen(args: dict) -> tuple | None:
    """A `status` argument as a key (the rule sorts it)."""
    return tuple(args["status"]) if args.get("status") else None



def ticket_target(c: Compiler, row: str) -> str:
    """`formula.ticket_target` of the employees of `row` (a tenant, or a portfolio row built on one)."""
    rule = formula.ticket_target
    return render.rule(c, (rule, row), lambda: rule(value(f"{row}.employee_count", Integer)))



def fiscal_year_row(*extra):
    """A one-row FROM (tenant_id, year_first, year_last, and the `extra` columns) for an area's rule
    over fiscal years (`forecast_query`, `quarters_query`), its values slots that `on_fiscal_year`
    fills on a compiled row: the rule's rendering is kept, the row's columns put in place."""
    return select(value("__tenant__").label("tenant_id"), value("__first__", Date).label("year_first"),
                  value("__last__", Date).label("year_last"), *extra).subquery("years")


def on_fiscal_year(rule_sql: str, tenant: str, first: str, **extra: str) -> str:
    """`rule_sql` (rendered on `fiscal_year_row`) for the tenant `tenant` and the fiscal year starting
    at the date `first` (SQL expressions of the compiled row)."""
    return sql.fill(rule_sql, tenant=tenant, first=first, last=f"CAST({first} + interval '11 months' AS date)", **extra)
