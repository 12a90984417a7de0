"""The budget forecast on a cluster: what it reads of a tenant it reads on the tenant's worker.

Its answers are tests/budgets' on the cluster (in `make test-citus`); here, how Citus runs it.
"""

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import text

from app.budgets import forecast
from app.db.scope import tenant_session
from app.lifecycle.actions import today


async def plan(conn, statement) -> str:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    rows = await conn.exec_driver_sql("EXPLAIN " + str(compiled), tuple(compiled.params[n] for n in compiled.positiontup))
    return "\n".join(r[0] for r in rows.all())


async def shard_of(sessionmaker, tenant_id) -> int:
    async with sessionmaker() as s:
        return await s.scalar(text("select get_shard_id_for_distribution_column('spend_months', CAST(:t AS uuid))"), {"t": tenant_id})


async def test_a_forecast_reads_each_tenant_on_its_worker_alone(world, sessionmaker):
    practice = await world.practice()
    tenant, other = await world.tenant(practice), await world.tenant(practice)
    while await shard_of(sessionmaker, other.id) == await shard_of(sessionmaker, tenant.id):
        other = await world.tenant(practice)  # one shard group would route the batch whole (1 in 32)
    budgets = [(tenant.id, dt.date(2026, 7, 1), Decimal("1000.00")), (other.id, dt.date(2026, 1, 1), Decimal("5.00"))]
    async with tenant_session(sessionmaker, [tenant.id, other.id]) as s:
        conn = await s.connection()
        # One tenant's (the roadmap page, the report): the whole statement runs on its worker.
        one = await plan(conn, forecast.of_budgets(budgets[:1], today(), on_citus=True))
        assert re.findall(r"Task Count: (\d+)", one) == ["1"] and "Subplan" not in one, one
        # A batch over two tenants: each tenant table a subplan on the two tenants' shards alone
        # (initiatives, spend, assets), the months joined to them on the coordinator.
        two = await plan(conn, forecast.of_budgets(budgets, today(), on_citus=True))
        assert sorted(re.findall(r"Task Count: (\d+)", two)) == ["1", "2", "2", "2"], two
        assert len(re.findall(r"Subplan \S+", two)) == 3, two


async def test_a_batch_of_forecasts_answers_on_the_cluster(world, sessionmaker):
    """The coordinator crashed executing a batch's forecast while the months read the spend and the
    roadmap by correlated subqueries over the tenant parts (infra/README.md): now they join them."""
    practice = await world.practice()
    tenants = [await world.tenant(practice) for _ in range(3)]
    budgets = [(t.id, dt.date(2026, 1, 1), Decimal("1200.00")) for t in tenants]
    async with tenant_session(sessionmaker, [t.id for t in tenants]) as s:
        rows = (await s.execute(forecast.of_budgets(budgets, today(), on_citus=True))).all()
    assert sorted({r.tenant_id for r in rows}) == sorted(t.id for t in tenants) and len(rows) == 36
    assert all(r.planned == Decimal("100.00") for r in rows)
