"""One tenant's data out, gone, and back in: export, offboarding and re-import.

The tables are found by walking the live catalog (every table with a `tenant_id` column, plus the
`tenants` row itself), never from a hand-kept list, so a table added later is exported and
removed without anyone remembering to. Rows travel as PostgreSQL's own JSON (`to_jsonb`) and come
back through `jsonb_populate_recordset`, so every type round-trips as the database writes it.
The standards the tenant's reviews name belong to the practice, not the tenant: the export carries
them beside its tables (`standards`), and an import finds them in the importing practice's library
by key (app/standards/actions.py), so the reviews come back whole into any practice.

Offboarding deletes the `tenants` row; every tenant-owned table references it `ON DELETE
CASCADE`, and PostgreSQL carries the cascade out as the tables' owner, so the tenant's audit
trail goes too even though the runtime role may never delete audit rows itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record
from app.auth.principal import Principal
from app.db import written
from app.db.scope import tenant_session
from app.errors import Conflict, Forbidden, Invalid
from app.guards import visible_tenant
from app.models import Base
from app.standards.actions import exported_standards, imported_standards

FORMAT = "fcio-tenant-export"
VERSION = 1

def tenant_tables() -> list[str]:
    """`tenants` and every table with a tenant_id, parents before children (the order to insert in).

    From the models, not the catalog (tests/db/test_migrations.py holds them equal): on a Citus
    coordinator the runtime role sees the reference tables' shards in the catalog too (app/db/engine.py
    RUNTIME_SETTINGS), which are no tables of the schema."""
    return ["tenants", *(str(t.name) for t in Base.metadata.sorted_tables if "tenant_id" in t.c)]


def writable_columns(table: str) -> list[str]:
    """The columns an import writes: all but the generated ones."""
    return [str(c.name) for c in Base.metadata.tables[table].c if c.computed is None]


def _owned_by(table: str) -> str:
    return "id" if table == "tenants" else "tenant_id"


async def tenant_rows(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tenant, table by table (the session must see the tenant)."""
    out = {}
    for table in tenant_tables():
        rows = await session.scalars(
            text(f'select to_jsonb(t) from "{table}" t where {_owned_by(table)} = :t order by to_jsonb(t)::text'),
            {"t": tenant_id},
        )
        out[table] = list(rows)
    return out


async def export_tenant(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The tenant's complete data as one JSON document (practice admins only; audited)."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins export a tenant.")
    tenant = await visible_tenant(session, actor, tenant_id)
    await record(session, actor, tenant.id, "tenant.export", "Tenant", tenant.id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": dt.datetime.now(dt.UTC).isoformat(),
        "tenantId": str(tenant.id),
        "tables": await tenant_rows(session, tenant.id),
        "standards": await exported_standards(session, tenant.id),
    }


async def offboard_tenant(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, confirm_slug: str) -> dict[str, int]:
    """Remove every row of the tenant; returns the rows removed per table.

    The tenant's own audit trail goes with it, so the offboarding is recorded in the history of
    the practice's other tenants the admin sees (as every practice-level change is).
    """
    if not actor.is_admin:
        raise Forbidden("Only practice admins offboard a tenant.")
    tenant = await visible_tenant(session, actor, tenant_id)
    if confirm_slug != tenant.slug:
        raise Invalid("confirmSlug must be the tenant's slug, to confirm which client is removed.", ["confirmSlug"])
    counts = {}
    for table in tenant_tables():
        counts[table] = await session.scalar(
            text(f'select count(*) from "{table}" where {_owned_by(table)} = :t'), {"t": tenant.id}
        )
    # The figures go with the rows they count (the cascade): no delta is held (app/db/figures.py).
    await session.execute(text("delete from tenants where id = :t"), {"t": tenant.id},
                          execution_options=written.declare([tenant.id], [tenant.practice_id]))
    await record(
        session, actor, actor.tenant_ids - {tenant.id}, "tenant.offboard", "Tenant", tenant.id,
        {"name": tenant.name, "slug": tenant.slug, "rows": counts}, None,
    )
    return counts


IMPORT_CHUNK = 100  # rows per INSERT (one parameter each; the statement names every column of each)


def insert_rows(table: str, columns: list[str], count: int):
    """`INSERT INTO table (columns) VALUES (...), ...` of `count` exported rows (JSON objects `:r0`,
    `:r1`, ...), each column read off its row by `jsonb_populate_record`, so every value is cast to
    its column's type as the export wrote it. Multi-row VALUES, not `INSERT ... SELECT FROM
    jsonb_populate_recordset(...)`: Citus runs an INSERT ... SELECT from a function through the
    coordinator and COPYs its rows into the shards, which PostgreSQL refuses under row security;
    VALUES rows are routed to their tenant's shard."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(
        "(" + ", ".join(f'(jsonb_populate_record(null::"{table}", :r{n}))."{c}"' for c in columns) + ")" for n in range(count))
    return text(f'insert into "{table}" ({names}) values {values}').bindparams(
        *(bindparam(f"r{n}", type_=JSONB) for n in range(count)))


async def import_tenant(session: AsyncSession, document: dict[str, Any]) -> tuple[uuid.UUID, int]:
    """Insert an export back (the session must see the tenant); returns (tenant id, rows inserted).

    All or nothing: the caller's transaction rolls back on any error. The tenant must not exist.
    """
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise Invalid(f"Not an {FORMAT} version {VERSION} document.")
    tenant_id = uuid.UUID(document["tenantId"])
    tables = document["tables"]
    if await session.scalar(text("select 1 from tenants where id = :t"), {"t": tenant_id}):
        raise Conflict("This tenant exists; offboard it before importing it again.")
    unknown = set(tables) - set(tenant_tables())
    if unknown:
        raise Invalid(f"The export has tables this database does not: {', '.join(sorted(unknown))}.")
    owner = tables.get("tenants") or []
    if len(owner) != 1:
        raise Invalid("The export must hold its tenant's row.")
    tables = await imported_standards(session, uuid.UUID(str(owner[0]["practice_id"])), document.get("standards") or [], tables)
    inserted = 0
    # The kept figures come back as exported, beside their rows: inserted as rows, no delta held.
    for table in tenant_tables():
        rows = tables.get(table) or []
        if any(str(row.get(_owned_by(table))) != str(tenant_id) for row in rows):
            raise Invalid(f"{table} holds rows of another tenant.")
        if not rows:
            continue
        columns = writable_columns(table)
        practices = [row["practice_id"] for row in rows] if table == "tenants" else ()
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start:start + IMPORT_CHUNK]
            await session.execute(insert_rows(table, columns, len(chunk)), {f"r{n}": row for n, row in enumerate(chunk)},
                                  execution_options=written.declare([tenant_id], practices))
        inserted += len(rows)
    await record(session, Principal.system([tenant_id]), tenant_id, "tenant.import", "Tenant", tenant_id, None,
                 {"rows": inserted})
    return tenant_id, inserted


async def import_document(sessionmaker, document: dict[str, Any]) -> tuple[uuid.UUID, int]:
    """`fcio tenants import`: one transaction scoped to the exported tenant only."""
    try:
        tenant_id = uuid.UUID(str(document.get("tenantId")))
    except ValueError:
        raise Invalid("The document has no valid tenantId.") from None
    async with tenant_session(sessionmaker, [tenant_id]) as session:
        return await import_tenant(session, document)
