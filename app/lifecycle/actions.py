"""Assets: entered by hand, pushed in bulk, or sent by a PSA; and the forecast of their replacement.

Every write path (createAsset, updateAsset, deleteAsset, ingestAssets and the PSA webhooks) ends
in `mark_changed_months_stale`: the lifecycle component of a month reads the assets in service at
its end and their status then (app/lifecycle/rules.py), so a write that changes what an asset
counted as in an already-scored month marks that month stale, in the same transaction. Only months
with a stored score are looked at, the STALE_LOOKBACK most recent before the current month; older
history is rescored with `fcio recompute --from`.

Hand-entered assets have the source `manual` and no external id. Pushed ones (`ingestAssets`, a
PSA) are upserted on `(tenant_id, source, external_id)`, and `manual` is refused as a push source
(as for tickets), so a push never overwrites an asset entered by hand. A push carries everything
but `replaceBy`: a replacement date set by hand on a pushed asset survives the next push.

Dates are checked where their order matters: an asset is not retired, nor its warranty over,
before it was bought. An end of support before the purchase is allowed (software bought late in
its life). The forecast groups by fiscal quarter, a fiscal year named by the calendar year it
starts in (`app.health.inputs.fiscal_year_of`, as budgets and scoring name them): with a July
start, "2026-Q1" is July to September 2026.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    Integer,
    Select,
    Text,
    and_,
    any_,
    cast,
    extract,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.audit.actions import record
from app.auth.principal import Principal
from app.db import written
from app.db.base import uuid7
from app.db.citus import tenant_part
from app.db.key_rows import key_rows
from app.errors import Invalid
from app.health.inputs import fiscal_year_of
from app.health.models import HealthScore
from app.health.recompute import mark_stale
from app.lifecycle.models import MANUAL_SOURCE, Asset, AssetKind, LifecycleStatus
from app.lifecycle.rules import asset_replacement, in_service, lifecycle_status, replacement_date
from app.months import add_months, current_month, last_day, month_start
from app.rules import is_sql
from app.tickets.actions import IngestResult, push_source, use_custom_plans

STALE_LOOKBACK = 24  # scored months, the most recent first, that one write may mark stale
DEFAULT_QUARTERS, MAX_QUARTERS = 8, 40


def today() -> dt.date:
    """The day it is in UTC, the day the API's `status` is computed for (months are UTC too)."""
    return dt.datetime.now(dt.UTC).date()


def parse_kind(value: str | AssetKind | None) -> AssetKind | None:
    if value is None:
        return None
    try:
        return AssetKind(str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(k.value for k in AssetKind)
        raise Invalid(f"kind must be one of {allowed}; got {str(value)[:50]!r}.", ["kind"]) from None


CHECKS = {
    "name": lambda value: v.text(value, "name"),
    "kind": parse_kind,
    "manufacturer": lambda value: v.text(value, "manufacturer", required=False),
    "model": lambda value: v.text(value, "model", required=False),
    "serial_number": lambda value: v.text(value, "serialNumber", required=False),
    "purchased_on": None,
    "warranty_end": None,
    "end_of_support": None,
    "retired_on": None,
    "replace_by": None,
    "replacement_cost": lambda value: v.money(value, "replacementCost"),
}
PUSHED = tuple(name for name in CHECKS if name != "replace_by")  # what a push sets (module docstring)


def check_dates(asset: Any) -> None:
    """Retirement and warranty end not before the purchase (an object or a mapping of the fields)."""
    get = asset.get if isinstance(asset, dict) else lambda name: getattr(asset, name)
    purchased = get("purchased_on")
    for name in ("retired_on", "warranty_end"):
        day = get(name)
        if purchased is not None and day is not None and day < purchased:
            field = v.field_name(name)
            raise Invalid(f"{field} ({day}) must not be before purchasedOn ({purchased}).", [field])


# --- the stale rule --------------------------------------------------------------------------


class Facts(NamedTuple):
    """The fields that decide what an asset counts as in a month's lifecycle component."""

    kind: str
    replace_by: dt.date | None
    end_of_support: dt.date | None
    warranty_end: dt.date | None
    purchased_on: dt.date | None
    retired_on: dt.date | None


def facts_of(asset: Any, prefix: str = "") -> Facts | None:
    """The facts of an asset or a row (`prefix`: its columns' prefix); None when it has none (no kind)."""
    kind = getattr(asset, prefix + "kind")
    if kind is None:
        return None
    return Facts(AssetKind(kind).value, *(getattr(asset, prefix + f) for f in Facts._fields[1:]))


def standing(facts: Facts | None, day: dt.date) -> LifecycleStatus | None:
    """What the asset counts as on `day`: its status, or None when it is not in service then."""
    if facts is None or not in_service(facts.purchased_on, facts.retired_on, day):
        return None
    return lifecycle_status(
        replacement_date(facts.kind, facts.replace_by, facts.end_of_support, facts.warranty_end, facts.purchased_on), day
    )


async def mark_changed_months_stale(
    session: AsyncSession, tenant_id: uuid.UUID, changes: Iterable[tuple[Facts | None, Facts | None]]
) -> list[dt.date]:
    """Mark the scored past months in which an asset counts differently after the write (before, after).

    The one rule of every asset write path; returns the months marked.
    """
    changes = [(before, after) for before, after in changes if before != after]
    if not changes:
        return []
    scored = await session.scalars(
        select(HealthScore.month)
        .where(HealthScore.tenant_id == tenant_id, HealthScore.month < current_month())
        .order_by(HealthScore.month.desc())
        .limit(STALE_LOOKBACK)
    )
    marked = []
    for month in scored:
        end = last_day(month)
        if any(standing(before, end) != standing(after, end) for before, after in changes):
            await mark_stale(session, tenant_id, month)
            marked.append(month)
    return marked


# --- by hand ---------------------------------------------------------------------------------


async def create_asset(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    *,
    name: str,
    kind: str | AssetKind,
    manufacturer: str | None = None,
    model: str | None = None,
    serial_number: str | None = None,
    purchased_on: dt.date | None = None,
    warranty_end: dt.date | None = None,
    end_of_support: dt.date | None = None,
    retired_on: dt.date | None = None,
    replace_by: dt.date | None = None,
    replacement_cost: Decimal | None = None,
) -> Asset:
    fields = v.checked(Asset, CHECKS, dict(
        name=name, kind=kind, manufacturer=manufacturer, model=model, serial_number=serial_number,
        purchased_on=purchased_on, warranty_end=warranty_end, end_of_support=end_of_support, retired_on=retired_on,
        replace_by=replace_by, replacement_cost=replacement_cost,
    ))
    check_dates(fields)
    asset = await editing.create(session, actor, tenant_id, Asset(source=MANUAL_SOURCE, **fields))
    await mark_changed_months_stale(session, tenant_id, [(None, facts_of(asset))])
    return asset


async def update_asset(
    session: AsyncSession,
    actor: Principal,
    tenant_id: uuid.UUID,
    asset_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> Asset:
    """Set the fields given (the names of `CHECKS`); a None clears one, INVALID for a required one.

    A pushed asset may be corrected by hand too; its next push sets again what the push carries.
    """
    before = facts_of(await editing.load(session, actor, Asset, tenant_id, asset_id))
    asset, _ = await editing.update(
        session, actor, Asset, tenant_id, asset_id, v.checked(Asset, CHECKS, changes), expected_version
    )
    check_dates(asset)
    await mark_changed_months_stale(session, tenant_id, [(before, facts_of(asset))])
    return asset


async def delete_asset(session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, asset_id: uuid.UUID) -> Asset:
    """Gone from every month it counted in (an asset that left service is retired, not deleted)."""
    asset = await editing.delete(session, actor, Asset, tenant_id, asset_id)
    await mark_changed_months_stale(session, tenant_id, [(facts_of(asset), None)])
    return asset


# --- pushed: ingestAssets and the PSA webhooks -----------------------------------------------


@dataclasses.dataclass(frozen=True)
class PushedAsset:
    """One asset of a push, as sent (`ingest_assets` validates it) or as stored by a PSA event."""

    external_id: str
    name: str
    kind: str | AssetKind
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    purchased_on: dt.date | None = None
    warranty_end: dt.date | None = None
    end_of_support: dt.date | None = None
    retired_on: dt.date | None = None
    replacement_cost: Decimal | None = None


def checked_push(asset: PushedAsset, path: list[str]) -> PushedAsset:
    """The asset through the same checks as createAsset; `Invalid` names `[*path, field]`."""
    try:
        external_id = v.text(asset.external_id, "externalId", max_length=200)
        fields = v.checked(Asset, {n: CHECKS[n] for n in PUSHED}, {n: getattr(asset, n) for n in PUSHED})
        check_dates(fields)
    except Invalid as error:
        raise Invalid(error.message, [*path, *(error.field or [])]) from None
    return PushedAsset(external_id=external_id, **fields)


# The kind as its enum: Citus refuses a RETURNING with a function that is not IMMUTABLE, and the
# enum's cast to text is STABLE (the driver gives the enum as its text anyway).
FACT_COLUMNS = "kind AS {p}kind, replace_by AS {p}replace_by, end_of_support AS {p}end_of_support, " \
    "warranty_end AS {p}warranty_end, purchased_on AS {p}purchased_on, retired_on AS {p}retired_on"
UPSERT = text(f"""
WITH input AS (
  SELECT * FROM unnest(
    CAST(:ids AS uuid[]), CAST(:external_ids AS text[]), CAST(:names AS text[]), CAST(:kinds AS text[]),
    CAST(:manufacturers AS text[]), CAST(:models AS text[]), CAST(:serials AS text[]), CAST(:purchased AS date[]),
    CAST(:warranty AS date[]), CAST(:support AS date[]), CAST(:retired AS date[]), CAST(:costs AS numeric[])
  ) AS i(id, external_id, name, kind, manufacturer, model, serial_number, purchased_on, warranty_end,
         end_of_support, retired_on, replacement_cost)
),
old AS MATERIALIZED (  -- one probe of the unique index per input row, as the ticket upsert;
  -- MATERIALIZED: inlined, Citus reads it after running `up` as a subplan, and sees the new rows
  SELECT a.* FROM input i
  JOIN LATERAL (
    SELECT external_id, {FACT_COLUMNS.format(p="old_")} FROM assets a
    WHERE a.tenant_id = :tenant_id AND a.source = :source AND a.external_id = i.external_id
  ) a ON true
),
up AS (
  INSERT INTO assets AS a (tenant_id, id, source, external_id, name, kind, manufacturer, model, serial_number,
                           purchased_on, warranty_end, end_of_support, retired_on, replacement_cost, version)
  SELECT :tenant_id, id, :source, external_id, name, kind::asset_kind, manufacturer, model, serial_number,
         purchased_on, warranty_end, end_of_support, retired_on, replacement_cost, 1
  FROM input
  ON CONFLICT (tenant_id, source, external_id) WHERE external_id IS NOT NULL DO UPDATE SET
    name = excluded.name, kind = excluded.kind, manufacturer = excluded.manufacturer, model = excluded.model,
    serial_number = excluded.serial_number, purchased_on = excluded.purchased_on,
    warranty_end = excluded.warranty_end, end_of_support = excluded.end_of_support,
    retired_on = excluded.retired_on, replacement_cost = excluded.replacement_cost,
    version = a.version + 1, updated_at = excluded.updated_at  -- the default, now(): Citus refuses a function here
  WHERE (a.name, a.kind, a.manufacturer, a.model, a.serial_number, a.purchased_on, a.warranty_end,
         a.end_of_support, a.retired_on, a.replacement_cost)
        IS DISTINCT FROM (excluded.name, excluded.kind, excluded.manufacturer, excluded.model,
                          excluded.serial_number, excluded.purchased_on, excluded.warranty_end,
                          excluded.end_of_support, excluded.retired_on, excluded.replacement_cost)
  RETURNING a.external_id, {FACT_COLUMNS.format(p="")}
)
SELECT up.*, old.* FROM up LEFT JOIN old USING (external_id)
""")
REMOVE = text(f"""
DELETE FROM assets WHERE tenant_id = :tenant_id AND source = :source AND external_id = ANY(CAST(:external_ids AS text[]))
RETURNING external_id, {FACT_COLUMNS.format(p="old_")}
""")


async def write_assets(
    session: AsyncSession, tenant_id: uuid.UUID, source: str, rows: Sequence[PushedAsset]
) -> int:
    """Upsert checked `rows` (one per external id) and mark the months they change; returns how many changed."""
    if not rows:
        return 0
    await use_custom_plans(session)
    result = (await session.execute(UPSERT, {
        "tenant_id": tenant_id, "source": source, "ids": [uuid7() for _ in rows],
        "external_ids": [r.external_id for r in rows], "names": [r.name for r in rows],
        "kinds": [AssetKind(r.kind).value for r in rows], "manufacturers": [r.manufacturer for r in rows],
        "models": [r.model for r in rows], "serials": [r.serial_number for r in rows],
        "purchased": [r.purchased_on for r in rows], "warranty": [r.warranty_end for r in rows],
        "support": [r.end_of_support for r in rows], "retired": [r.retired_on for r in rows],
        "costs": [r.replacement_cost for r in rows],
    }, execution_options=written.declare([tenant_id]))).all()
    await mark_changed_months_stale(session, tenant_id, [(facts_of(r, "old_"), facts_of(r)) for r in result])
    return len(result)


async def remove_assets(session: AsyncSession, tenant_id: uuid.UUID, source: str, external_ids: Sequence[str]) -> int:
    """Delete the source's assets a PSA deleted; mark the months they counted in. Returns how many."""
    if not external_ids:
        return 0
    result = (await session.execute(
        REMOVE, {"tenant_id": tenant_id, "source": source, "external_ids": list(external_ids)},
        execution_options=written.declare([tenant_id]))).all()
    await mark_changed_months_stale(session, tenant_id, [(facts_of(r, "old_"), None) for r in result])
    return len(result)


async def ingest_assets(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, source: str, assets: Sequence[PushedAsset]
) -> IngestResult:
    """The bulk push: good assets are stored even when others in the batch are reported as errors.

    The same caller, source and size rules as `ingestTickets`; an external id sent twice in one
    call is stored as its last occurrence says.
    """
    source = await push_source(session, actor, tenant_id, source, len(assets), "assets")
    result, rows = IngestResult(), {}
    for index, asset in enumerate(assets):
        try:
            row = checked_push(asset, ["assets", str(index)])
        except Invalid as error:
            result.errors.append(error)
            continue
        rows.pop(row.external_id, None)
        rows[row.external_id] = row
    result.accepted = len(assets) - len(result.errors)
    changed = await write_assets(session, tenant_id, source, sorted(rows.values(), key=lambda r: r.external_id))
    await record(
        session, actor, tenant_id, "assets.ingest", "Asset", None, None,
        {"source": source, "accepted": result.accepted, "rejected": len(result.errors), "changed": changed},
    )
    return result


# --- the forecast ----------------------------------------------------------------------------


def month_index(day) -> Any:
    """Months since year 0 of a date (Python) or a date expression (SQL): quarters are counted with it."""
    if isinstance(day, dt.date):
        return day.year * 12 + day.month - 1
    return cast(extract("year", day) * 12 + extract("month", day) - 1, Integer)


def fiscal_quarter_label(fiscal_year, quarter):
    """"2027-Q1": a fiscal year (named by the year it starts in) and a quarter number (1..4), as
    values or as SQL expressions (the roadmap's quarters are labelled in SQL, app/rules.py)."""
    if is_sql(fiscal_year, quarter):
        return func.concat(cast(fiscal_year, Text), "-Q", cast(quarter, Text))
    return f"{fiscal_year}-Q{quarter}"


def quarter_label(month: dt.date, start_month: int) -> str:
    """The label of the fiscal quarter of `month`."""
    year, elapsed = fiscal_year_of(month, start_month)
    return fiscal_quarter_label(year, (elapsed - 1) // 3 + 1)


def quarter_start(day: dt.date, start_month: int) -> dt.date:
    """The first month of the fiscal quarter holding `day`."""
    _, elapsed = fiscal_year_of(month_start(day), start_month)
    return add_months(month_start(day), -((elapsed - 1) % 3))


def check_quarters(quarters: int | None) -> int:
    """1 to MAX_QUARTERS; null is the default."""
    return DEFAULT_QUARTERS if quarters is None else v.int_range(quarters, "quarters", 1, MAX_QUARTERS)


def forecast_quarters(day: dt.date, start_month: int, quarters: int) -> tuple[dt.date, list[str]]:
    """The first month of the forecast on `day` (its fiscal quarter's) and the labels of its quarters."""
    first = quarter_start(day, start_month)
    return first, [quarter_label(add_months(first, 3 * i), start_month) for i in range(quarters)]


def quarter_starts(firsts: dict[uuid.UUID, dt.date]):
    """Rows (tenant_id, first) for `forecast_query`: each tenant's first month, as `month_index`."""
    return key_rows("q", [("tenant_id", UUID()), ("first", Integer())],
                    [(tenant_id, month_index(first)) for tenant_id, first in firsts.items()])


def forecast_query(starts, day: dt.date, quarters: int) -> Select:
    """Per tenant and quarter index (0: the quarter of the tenant's `first` month index in `starts`,
    rows (tenant_id, first), and all before it): the count and replacement cost of the assets in
    service on `day` reaching their replacement date."""
    t = Asset.__table__
    index = func.greatest(0, (month_index(asset_replacement(t)) - starts.c.first) // 3).label("quarter")
    return (
        select(t.c.tenant_id, index, func.count().label("assets"),
               func.coalesce(func.sum(t.c.replacement_cost), 0).label("cost"))
        .select_from(t.join(starts, t.c.tenant_id == starts.c.tenant_id))
        .where(
            in_service(t.c.purchased_on, t.c.retired_on, day),
            and_(asset_replacement(t).is_not(None), month_index(asset_replacement(t)) < starts.c.first + 3 * quarters),
        )
        # By the output column: the compiled read binds each value apart, so the expression
        # repeated here would not be the select's for PostgreSQL.
        .group_by(t.c.tenant_id, literal_column(index.name))
    )


def replacements_by_month(years, day: dt.date, tenants, on_citus: bool = False) -> Select:
    """Per tenant, fiscal year and month: the replacement cost of the assets in service on `day` whose
    replacement date falls in that month of the year, those already past it counted in the month of
    `day` (as `forecast_query` puts them in its first quarter). `years`: the rows of
    `app.budgets.actions.year_spans` (tenant_id, year_first, year_last); `tenants`, an array
    expression of their tenants, by which the assets are read apart (`citus.tenant_part`)."""
    t = tenant_part(select(Asset.__table__).where(Asset.__table__.c.tenant_id == any_(tenants)), "assets", on_citus)
    month = func.greatest(cast(func.date_trunc("month", asset_replacement(t)), Date), month_start(day))
    return (
        select(t.c.tenant_id, years.c.year_first, month.label("month"),
               func.coalesce(func.sum(t.c.replacement_cost), 0).label("cost"))
        .select_from(t.join(years, t.c.tenant_id == years.c.tenant_id))
        .where(in_service(t.c.purchased_on, t.c.retired_on, day), asset_replacement(t).is_not(None),
               month.between(years.c.year_first, years.c.year_last))
        # By the output column, as `forecast_query` groups (the compiled report binds each value apart).
        .group_by(t.c.tenant_id, years.c.year_first, literal_column("month"))
    )
