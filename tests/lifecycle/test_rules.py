"""The lifecycle rule answers the same in Python and in SQL, on the same stored rows and days."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from sqlalchemy import literal, select

from app.lifecycle import actions
from app.lifecycle.models import Asset, AssetKind
from app.lifecycle.rules import asset_replacement, in_service, lifecycle_status, replacement_date

DAYS = (dt.date(2024, 2, 29), dt.date(2026, 6, 30), dt.date(2026, 12, 31), dt.date(2030, 1, 1))


def maybe(rng: random.Random, day: dt.date) -> dt.date | None:
    return None if rng.random() < 0.35 else day + dt.timedelta(days=rng.randint(-2500, 2500))


def not_before(day: dt.date | None, purchased: dt.date | None) -> dt.date | None:
    """The date if it may follow the purchase (actions.check_dates), else none."""
    return day if purchased is None or day is None or day >= purchased else None


async def test_python_and_sql_agree_on_replacement_status_and_service(api, scene):
    rng = random.Random(15)
    base = dt.date(2025, 3, 1)
    created = []
    for n, kind in enumerate(itertools.islice(itertools.cycle(AssetKind), 120)):
        purchased = dt.date(2020, 2, 29) if n % 17 == 0 else maybe(rng, base)  # a leap day ages to 28 February
        retired, warranty = maybe(rng, base), maybe(rng, base) if rng.random() < 0.6 else None
        created.append(await api.act(
            scene.tenant, actions.create_asset, name=f"Asset {n}", kind=kind, purchased_on=purchased,
            warranty_end=not_before(warranty, purchased), end_of_support=maybe(rng, base),
            replace_by=maybe(rng, base) if rng.random() < 0.2 else None,
            retired_on=not_before(retired, purchased),
        ))
    t = Asset.__table__
    columns = [t.c.id, asset_replacement(t).label("replacement")]
    for i, day in enumerate(DAYS):
        columns += [lifecycle_status(asset_replacement(t), day).label(f"status_{i}"),
                    in_service(t.c.purchased_on, t.c.retired_on, literal(day)).label(f"service_{i}")]
    rows = {r.id: r for r in await api.rows([scene.tenant.id], select(*columns).where(t.c.tenant_id == scene.tenant.id))}

    assert len(rows) == 120
    statuses = set()
    for asset in created:
        row = rows[asset.id]
        replacement = replacement_date(asset.kind, asset.replace_by, asset.end_of_support, asset.warranty_end, asset.purchased_on)
        assert row.replacement == replacement, asset.name
        for i, day in enumerate(DAYS):
            status = lifecycle_status(replacement, day)
            statuses.add(status)
            assert row._mapping[f"status_{i}"] == status.value, (asset.name, day)
            assert row._mapping[f"service_{i}"] == in_service(asset.purchased_on, asset.retired_on, day), (asset.name, day)
    assert len(statuses) == 4  # every status was compared
