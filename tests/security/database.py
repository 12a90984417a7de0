"""Reading the database as its owner, above row-level security: what really changed, what is stored."""

from __future__ import annotations

from sqlalchemy import text

# Columns that legitimately move on reads: an API key's coarse "last used" stamp.
VOLATILE_COLUMNS = ("last_used_at",)


async def public_tables(owner_engine) -> list[str]:
    async with owner_engine.connect() as conn:
        rows = await conn.execute(text(
            "select table_name from information_schema.tables "
            "where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'alembic_version' order by 1"
        ))
        return [r[0] for r in rows]


async def digest(owner_engine) -> dict[str, str]:
    """Table name -> md5 of all its rows (volatile columns left out): equal digests, no row changed."""
    strip = "".join(f" - '{c}'" for c in VOLATILE_COLUMNS)
    out = {}
    async with owner_engine.connect() as conn:
        for table in await public_tables(owner_engine):
            out[table] = (await conn.execute(text(
                f'select count(*) || \':\' || coalesce(md5(string_agg((to_jsonb(t){strip})::text, \',\' '
                f'order by (to_jsonb(t){strip})::text)), \'\') from "{table}" t'
            ))).scalar_one()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
