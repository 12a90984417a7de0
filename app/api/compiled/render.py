"""An area's rule (SQLAlchemy conditions, an ORDER BY, a derived value) as SQL text of the statement.

The rules are built by their areas' functions on an alias of the table (`risks.risk_list(alias)`),
the same functions the executor calls, so nothing is restated here. Building and compiling
SQLAlchemy on every request would cost several times the rest of a compile, so a rule is
rendered once per key (the function itself, the alias and the arguments) into text with slots
for its values; a request only fills the slots with the compiler's bind parameters, so the
statement's text still depends on the document's shape, never on its values. A list in `IN`
becomes one array parameter (`= ANY(...)`): its length does not change the text either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.sql import ClauseElement, operators

DIALECT = postgresql.dialect()
DIALECT.bind_typing = BindTyping.NONE  # no "::TYPE" after a bind: CAST($n AS type) types it
BIND = re.compile(r"(?P<op>NOT IN|IN) \(__\[POSTCOMPILE_(?P<list>\w+)\]\)|%\((?P<one>\w+)\)s")
SLOT = re.compile("\x00(\\d+)\x00")
MAX_KEPT = 4096


@dataclass(frozen=True)
class Text:
    """SQL text with a slot per value; `into(c)` makes each slot one of the compiler's parameters."""

    text: str
    values: tuple[tuple[Any, str], ...]  # (value, SQL type) of each slot

    def into(self, c) -> str:
        return SLOT.sub(lambda m: c.param(*self.values[int(m[1])]), self.text)


@dataclass(frozen=True)
class Compiled:
    text: str  # binds as %(name)s, expanding IN lists as __[POSTCOMPILE_name]
    names: tuple[str, ...]  # the bind names in the order SQLAlchemy's cache key extracts their values
    types: dict[str, str]


COMPILED: dict[Hashable, Compiled] = {}


def compiled_of(clause: ClauseElement) -> tuple[Compiled, dict[str, Any]]:
    """The clause compiled once per shape (SQLAlchemy's cache key, which leaves values out), and its values."""
    key = clause._generate_cache_key()
    found = COMPILED.get(key.key)
    if found is None:
        compiled = clause.compile(dialect=DIALECT)
        found = Compiled(compiled.string, tuple(compiled.bind_names[b] for b in key.bindparams),
                         {name: b.type.compile(DIALECT) for b, name in compiled.bind_names.items()})
        if len(COMPILED) < MAX_KEPT:
            COMPILED[key.key] = found
    return found, dict(zip(found.names, (b.effective_value for b in key.bindparams), strict=True))


def text_of(clauses: ClauseElement | Iterable[ClauseElement], separator: str = " AND ") -> Text:
    """The clauses compiled, joined by `separator` (" AND " for conditions, ", " for an order).

    Conditions are grouped as AND's operands, so an `or_` among them keeps its parentheses."""
    texts, values = [], []

    def slot(value, sql_type: str) -> str:
        values.append((getattr(value, "value", value), sql_type))
        return f"\x00{len(values) - 1}\x00"

    for clause in [clauses] if isinstance(clauses, ClauseElement) else clauses:
        if separator == " AND ":
            clause = clause.self_group(against=operators.and_)
        compiled, params = compiled_of(clause)
        types = compiled.types

        def bind(match, types=types, params=params) -> str:
            if match["one"]:
                return slot(params[match["one"]], types[match["one"]])
            items = [getattr(v, "value", v) for v in params[match["list"]]]
            array = slot(items, types[match["list"]] + "[]")
            return f"<> ALL({array})" if match["op"] == "NOT IN" else f"= ANY({array})"

        texts.append(BIND.sub(bind, compiled.text))
    return Text(separator.join(texts), tuple(values))


KEPT: dict[Hashable, Any] = {}


def once(key: Hashable, build: Callable[[], Any]) -> Any:
    """`build()`, kept under `key`: the key must name everything the rule depends on (its function
    first, so a changed definition is a new key)."""
    found = KEPT.get(key)
    if found is None:
        found = build()
        if len(KEPT) < MAX_KEPT:
            KEPT[key] = found
    return found


def rule(c, key: Hashable, build: Callable[[], ClauseElement | Iterable[ClauseElement]], separator: str = " AND ") -> str:
    """The rule `build()` returns, as SQL text with `c`'s parameters (rendered once per key)."""
    return once((key, separator), lambda: text_of(build(), separator)).into(c)
