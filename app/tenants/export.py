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
import graphlib
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
from app.standards.actions import exported_standards, imported_standards

FORMAT = "fcio-tenant-export"
VERSION = 1

TABLES_WITH_TENANT_ID = text(
    """select c.table_name from information_schema.columns c
       join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'"""
)
FOREIGN_KEYS = text(
    """select con.conrelid::regclass::text as child, con.confrelid::regclass::text as parent
       from pg_constraint con join pg_namespace n on n.oid = con.connamespace
       where con.contype = 'f' and n.nspname = 'public'"""
)
WRITABLE_COLUMNS = text(
    """select column_name from information_schema.columns
       where table_schema = 'public' and table_name = :table and is_generated = 'NEVER'
       order by ordinal_position"""
)


async def tenant_tables(session: AsyncSession) -> list[str]:
    """`tenants` and every table with a tenant_id, parents before children (the order to insert in)."""
    tables = set(await session.scalars(TABLES_WITH_TENANT_ID)) | {"tenants"}
    order = graphlib.TopologicalSorter({t: set() for t in tables})
    for child, parent in (await session.execute(FOREIGN_KEYS)).all():
        if child in tables and parent in tables and child != parent:
            order.add(child, parent)
    return list(order.static_order())


def _owned_by(table: str) -> str:
    return "id" if table == "tenants" else "tenant_id"


async def tenant_rows(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tenant, table by table (the session must see the tenant)."""
    out = {}
    for table in await tenant_tables(session):
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
    for table in await tenant_tables(session):
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
    unknown = set(tables) - set(await tenant_tables(session))
    if unknown:
        raise Invalid(f"The export has tables this database does not: {', '.join(sorted(unknown))}.")
    owner = tables.get("tenants") or []
    if len(owner) != 1:
        raise Invalid("The export must hold its tenant's row.")
    tables = await imported_standards(session, uuid.UUID(str(owner[0]["practice_id"])), document.get("standards") or [], tables)
    inserted = 0
    # The kept figures come back as exported, beside their rows: inserted as rows, no delta held.
    for table in await tenant_tables(session):
        rows = tables.get(table) or []
        if any(str(row.get(_owned_by(table))) != str(tenant_id) for row in rows):
            raise Invalid(f"{table} holds rows of another tenant.")
        if not rows:
            continue
        columns = ", ".join(f'"{c}"' for c in await session.scalars(WRITABLE_COLUMNS, {"table": table}))
        await session.execute(
            text(
                f'insert into "{table}" ({columns}) select {columns} '
                f'from jsonb_populate_recordset(null::"{table}", :rows)'
            ).bindparams(bindparam("rows", type_=JSONB)),
            {"rows": rows},
            execution_options=written.declare([tenant_id], [row["practice_id"] for row in rows] if table == "tenants" else ()),
        )
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
