"""The walk over a selection: one JSON object (text, `sql.json_object`) per object, in the order the client asked.

Field compilers (`fields/`) register per (GraphQL type, field); anything unregistered raises
`Unsupported` and the request goes to the executor. Values reach the statement as bind
parameters only, so the statement's text depends on the document's shape, not on its values, and
the driver's prepared-statement cache serves every request of the same document.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from graphql.execution.values import get_argument_values

from app.api import pagination
from app.api.compiled import sql
from app.auth.principal import Principal
from app.errors import Invalid
from graphql import FieldNode, GraphQLSchema

ROUTED_ROOTS = frozenset({"tenant"})  # the root fields compiled on a Citus coordinator (`Compiler.routed`)
MAX_KEYS = 50  # response keys of one object (the executor's limits allow no more either)


class Unsupported(Exception):
    """The selection holds something the compiler does not build: the executor answers instead."""


FieldCompiler = Callable[["Compiler", str, FieldNode, dict], str]  # the field's value as JSON text
FIELDS: dict[tuple[str, str], FieldCompiler] = {}


def compiles(type_name: str, *field_names: str):
    def register(fn: FieldCompiler) -> FieldCompiler:
        for name in field_names:
            FIELDS[(type_name, name)] = fn
        return fn

    return register


def selected(node) -> list[tuple[str, str, FieldNode]]:
    """(field name, response key, node) of a selection; fragments, directives and repeats unsupported."""
    out, keys = [], set()
    for child in node.selection_set.selections:
        if not isinstance(child, FieldNode) or child.directives:
            raise Unsupported("fragments and directives")
        key = (child.alias or child.name).value
        if key in keys or len(keys) >= MAX_KEYS:
            raise Unsupported(f"response key {key}")
        keys.add(key)
        out.append((child.name.value, key, child))
    return out


def fixed_object(node, choices: dict[str, Callable[[FieldNode], str]]) -> str:
    """An object of a type with fixed fields (connection, edge, page info): JSON text per field name."""
    parts = []
    for name, key, child in selected(node):
        if name not in choices:
            raise Unsupported(f"field {name}")
        parts.append((key, choices[name](child)))
    return sql.json_object(parts)


class Compiler:
    def __init__(self, schema: GraphQLSchema, variables: dict[str, Any], viewer: Principal, routed: bool = False):
        self.schema = schema
        # On a Citus coordinator: only `tenant(id:)` compiles, its statement naming its tenant in
        # every subquery (`tenant_of`), which Citus routes whole to the tenant's node; the executor
        # answers the rest (their rows are on every node).
        self.routed = routed
        self.variables = variables
        self.viewer = viewer
        self.params: list[Any] = []  # the statement's $1, $2, ... (run.execute hands them to the driver as they are)
        self.clock = False  # set by a field "as of now()" (the next meeting): stored only until it may change
        # The tenants the root's fields read when each names its tenant (`root_reads`); None: any.
        self.footprint: set | None = set()
        self._root_tenants: set | None = None
        # While `tenant(id:)` compiles: its id's parameter, which every subquery over a tenant's rows
        # names for itself (`tenant_of`) rather than correlating to the row above.
        self.pinned: str | None = None
        self._aliases = itertools.count()

    def param(self, value: Any, sql_type: str) -> str:
        self.params.append(value)
        return f"CAST(${len(self.params)} AS {sql_type})"

    def alias(self) -> str:
        return f"a{next(self._aliases)}"

    def object(self, type_name: str, row: str, node: FieldNode) -> str:
        """The JSON object for `node`'s selection on `row` (a table alias of `type_name`)."""
        parts = []
        for name, key, child in selected(node):
            compile_field = FIELDS.get((type_name, name))
            if compile_field is None:
                raise Unsupported(f"{type_name}.{name}")
            root = type_name == "Query"
            if root:
                if self.routed and name not in ROUTED_ROOTS:
                    raise Unsupported(f"{name}: not about one tenant, the executor answers on a coordinator")
                self._root_tenants = None
            parts.append((key, compile_field(self, row, child, self.arguments(type_name, child))))
            if root and self.footprint is not None:
                self.footprint = None if self._root_tenants is None else self.footprint | self._root_tenants
            if root and self.routed and len(self.footprint or ()) > 1:
                raise Unsupported("two tenants' reads in one statement: Citus would route it nowhere")
        return sql.json_object(parts)

    def root_reads(self, *tenant_ids) -> None:
        """Said by a root field that reads only these tenants' data (`tenant(id:)`: its one, or
        none when the caller does not see it): a stored answer then depends on their counters
        only, not on everything the caller sees."""
        self._root_tenants = set(tenant_ids)

    def tenant_of(self, row: str, column: str = "tenant_id") -> str:
        """The tenant of `row`'s rows as SQL: `row.column`, or below `tenant(id:)` the one tenant's
        parameter. The same rows either way; the second is what a distributed engine routes: Citus
        sends a statement to the one node holding a tenant only when each of its tables is filtered
        by that tenant's value itself, and a subquery correlated to the row above is not
        (tests/citus/test_scope.py). On one PostgreSQL it reads the same index entries."""
        return self.pinned or f"{row}.{column}"

    def arguments(self, type_name: str, node: FieldNode) -> dict[str, Any]:
        field = self.schema.get_type(type_name).fields[node.name.value]
        if not field.args:
            return {}
        values = get_argument_values(field, node, self.variables)
        return {k: getattr(v, "value", v) if not isinstance(v, list) else [getattr(i, "value", i) for i in v]
                for k, v in values.items()}

    def connection(self, type_name: str, node: FieldNode, *, source: str, order: Callable[[str], str], first: int,
                   offset: int, token: Callable[[str], str], total: int | None = None) -> str:
        """A Relay connection over `source` (a FROM clause with alias `r` and its WHERE), one page.

        Like the executor (`lists.fetch_pages`, `pagination.build`) it reads one row past the page
        to know whether there is a next one; `token(row)` is the list token's SQL; positions are
        absolute, so cursors equal the executor's. `order(alias)` is the list's order on a row alias.
        A selection without cursors, page info or total (most of them) is read as a plain page:
        numbering the rows (a window, once per parent row) cost more than reading them.
        `GROUP BY ()` makes the page one row even when nothing aggregates it
        (`pageInfo { hasPreviousPage }` alone) and when it is empty. A `total` known beforehand
        (`Listing.total`) is not counted.
        """
        page = self.alias()
        offset_sql, row_order = self.param(offset, "integer"), order("r")
        if not positions_needed(node):
            limit = self.param(first, "integer")
            item_order = order(page)
            body = fixed_object(node, {
                "nodes": lambda child: sql.json_list(self.object(type_name, page, child), item_order),
                "edges": lambda child: sql.json_list(self.edge(type_name, page, child, token), item_order),
            })
            return (f"(SELECT {body} FROM (SELECT r.* {source} ORDER BY {row_order} LIMIT {limit} "
                    f"OFFSET {offset_sql}) AS {page} GROUP BY ())")
        position = f"{page}._pos"
        shown = f"{position} <= {self.param(offset + first, 'integer')}"
        body = fixed_object(node, {
            # Counted apart: a window count over the page's rows read every row of the list whole.
            "totalCount": lambda child: sql.value(
                f"(SELECT count(*) {source})" if total is None else self.param(total, "integer")),
            "nodes": lambda child: sql.json_list(self.object(type_name, page, child), position, shown),
            "edges": lambda child: sql.json_list(self.edge(type_name, page, child, token), position, shown),
            "pageInfo": lambda child: self.page_info(page, child, token, shown, first, offset),
        })
        return (
            f"(SELECT {body} FROM (SELECT r.*, "
            f"row_number() OVER (ORDER BY {row_order}) AS _pos {source} "
            f"ORDER BY {row_order} LIMIT {self.param(first + 1, 'integer')} OFFSET {offset_sql}) AS {page} "
            f"GROUP BY ())"
        )

    def edge(self, type_name: str, page: str, node: FieldNode, token: Callable[[str], str]) -> str:
        return fixed_object(node, {
            "node": lambda child: self.object(type_name, page, child),
            "cursor": lambda child: sql.value(sql.cursor(token(page), f"{page}._pos")),
        })

    def page_info(self, page: str, node: FieldNode, token: Callable[[str], str], shown: str, first: int,
                  offset: int) -> str:
        cursor = sql.cursor(token(page), f"{page}._pos")
        return fixed_object(node, {
            "hasNextPage": lambda child: sql.value(f"count(*) > {self.param(first, 'integer')}"),
            "hasPreviousPage": lambda child: "'true'" if offset > 0 else "'false'",
            "startCursor": lambda child: sql.value(f"(array_agg({cursor} ORDER BY {page}._pos) FILTER (WHERE {shown}))[1]"),
            "endCursor": lambda child: sql.value(f"(array_agg({cursor} ORDER BY {page}._pos DESC) FILTER (WHERE {shown}))[1]"),
        })


def positions_needed(node: FieldNode) -> bool:
    """Whether a connection's selection needs its rows numbered: a total, page info or a cursor."""
    for name, _, child in selected(node):
        if name in ("totalCount", "pageInfo"):
            return True
        if name == "edges" and any(n == "cursor" for n, _, _ in selected(child)):
            return True
    return False


def page_bounds(first: int | None) -> int:
    """The page size the resolver would use; arguments it refuses go to the executor (it says why)."""
    try:
        return pagination.page_size(first)
    except Invalid as error:
        raise Unsupported("page size") from error
