"""Relay global ids stored beside the rows that are read most, as generated columns.

The id is `app/api/ids.encode`'s text: URL-safe base64, unpadded, of "Type:<tenant>:<id>" (or
"Type:<id>" above tenancy). Encoding it in SQL for the 1,400 objects of a portfolio page cost
a millisecond of a 7 ms statement; stored, it costs nothing to read. The compiled read path
(`app/api/compiled`) selects the column; the executor still encodes in Python, and the tests that
compare the two answers byte for byte check that both agree. Migration 0003 holds the SQL it ran
(the same expressions, literally): a change of encoding here needs a migration that changes the
columns, and tests/db/test_migrations.py fails while the models and the database differ.
"""

from __future__ import annotations

from sqlalchemy import Computed, Text
from sqlalchemy.orm import mapped_column


def base64url(text_sql: str, padded: bool) -> str:
    """URL-safe base64 of a text expression in SQL (PostgreSQL breaks lines every 76 characters).

    Immutable functions only, as a generated column requires: decode(.., 'escape') for the bytes
    (convert_to and textsend are stable; our texts hold no backslash); three replace() calls, as
    translate() was 1.6 ms slower over a page of 1,400 ids.
    """
    encoded = f"replace(replace(replace(encode(decode({text_sql}, 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_')"
    return encoded if padded else f"rtrim({encoded}, '=')"


def expression(type_name: str, tenant_scoped: bool = True) -> str:
    raw = (f"'{type_name}:' || CAST(tenant_id AS text) || ':' || CAST(id AS text)" if tenant_scoped
           else f"'{type_name}:' || CAST(id AS text)")
    return base64url(raw, padded=False)


def column(type_name: str, tenant_scoped: bool = True):
    """`gid: Mapped[str] = global_ids.column("Risk")` on a model."""
    return mapped_column(Text, Computed(expression(type_name, tenant_scoped), persisted=True))
