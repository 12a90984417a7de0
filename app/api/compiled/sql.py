"""SQL expressions that produce exactly what the executor's serialisers produce.

The statement builds the answer as compact JSON text, byte for byte what orjson writes for the
executor, so the API sends it as it comes: no parsing and writing it again (a millisecond for a
240 kB answer), and text concatenation costs PostgreSQL less than `json_build_object` and
`json_agg` (whose output has spaces). Every value is JSON text: `value(expr)` for a scalar
(`to_json`, whose strings are escaped as orjson escapes them), `json_object` and `json_list` for
the rest. Every value type has one expression here: global ids and cursors are the same base64
text, months are "YYYY-MM", date-times are Python's `isoformat()`, decimals are their text, and
floats are written as Python writes them (PostgreSQL writes 40.0 as 40 and 1e-05 for 1e-5).
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from app.db.global_ids import base64url


def global_id(row: str) -> str:
    """`ids.encode` of the row: stored beside it (app/db/global_ids.py)."""
    return f"{row}.gid"


def cursor(token_sql: str, position_sql: str) -> str:
    """`pagination.encode_cursor`: base64 of "<list token>:<position>", padded."""
    return base64url(f"{token_sql} || ':' || CAST({position_sql} AS text)", padded=True)


def list_token(parent_sql: str, filters_json_param: str) -> str:
    """`pagination.list_token` of a nested list: sha256 of json.dumps([str(parent), filters])[:16]."""
    dumped = f"'[\"' || CAST({parent_sql} AS text) || '\", ' || {filters_json_param} || ']'"
    return f"left(encode(sha256(convert_to({dumped}, 'UTF8')), 'hex'), 16)"


def month(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM')"


def datetime(column: str) -> str:
    """`datetime.isoformat()` of a UTC timestamp: microseconds only when not zero, then +00:00."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN to_char({utc}, 'US') = '000000' THEN '' "
            f"ELSE '.' || to_char({utc}, 'US') END || '+00:00'")


def decimal(column: str) -> str:
    """Strawberry's Decimal is the value's text (scale kept: "1200.00")."""
    return f"CAST({column} AS text)"


def float_value(column: str) -> str:
    """A float8 as JSON that reads as the executor's orjson writes it: decimal from 1e-5 up to 1e16
    (40 becomes 40.0), else an exponent without leading zeros (1e-7, 1.5e+16).

    PostgreSQL's shortest text has the same digits but switches to an exponent outside 1e-4 up to
    1e15, so its e-05 and e+15 are written out in decimal here; integral values under 1e15 go
    through numeric, which is exact there. A value with a fraction and no exponent, the common one,
    is its text as it stands, tested first: the other tests cost three times the rest."""
    text = f"CAST({column} AS text)"
    sign = f"CASE WHEN {column} < 0 THEN '-' ELSE '' END"
    digits = f"replace(split_part(ltrim({text}, '-'), 'e', 1), '.', '')"  # the mantissa's digits
    return (f"CAST(CASE WHEN {column} <> trunc({column}) AND strpos({text}, 'e') = 0 THEN {text} "  # most: as is
            f"WHEN {text} = '-0' THEN '-0.0' "  # numeric has no negative zero
            f"WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
            f"THEN CAST(CAST({column} AS numeric) AS text) || '.0' "
            f"WHEN {text} LIKE '%e-05' THEN {sign} || '0.0000' || {digits} "
            f"WHEN {text} LIKE '%e+15' THEN {sign} || rpad({digits}, 16, '0') || '.' "
            f"|| coalesce(nullif(substr({digits}, 17), ''), '0') "
            f"ELSE regexp_replace({text}, 'e([-+])0', 'e\\1') END AS json)")


def value(expression: str) -> str:
    """A scalar (or `json`) expression as JSON text; NULL stays NULL (`json_object` writes null)."""
    return f"CAST(to_json({expression}) AS text)"


def json_object(parts: list[tuple[str, str]]) -> str:
    """`{"key":value,...}` of (response key, JSON text) pairs; a NULL value is written null.

    Response keys are GraphQL names (letters, digits, underscores): nothing to escape."""
    if not parts:
        return "'{}'"
    pieces = [f"'{',' if i else '{'}\"{key}\":' || coalesce({json_text}, 'null')"
              for i, (key, json_text) in enumerate(parts)]
    return "(" + " || ".join(pieces) + " || '}')"


def json_list(item_sql: str, order_sql: str, where_sql: str | None = None) -> str:
    """`[item,...]` of the rows' JSON texts in `order_sql`, those passing `where_sql`; `[]` for none."""
    only = f" FILTER (WHERE {where_sql})" if where_sql else ""
    return f"coalesce('[' || string_agg(coalesce({item_sql}, 'null'), ',' ORDER BY {order_sql}){only} || ']', '[]')"


EMPTY_LIST = "'[]'"


def core(statement) -> str:
    """A SQLAlchemy Core statement of a resolver as SQL text (constants inlined), compiled once.

    Per-request values are marked in the statement with `literal_column("__name__")` and put in
    place by `fill` (a parent's alias, a bind parameter).
    """
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def fill(template: str, **values: str) -> str:
    for name, value in values.items():
        template = template.replace(f"__{name}__", value)
    return template
