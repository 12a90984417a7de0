"""The executive report's data for one tenant and month, gathered once for its three renderings.

The data is the answer of one GraphQL document (graphql/operations/executive_report.graphql) run
as the reader, in the reader's transaction, by the path any request takes: its compiled statement
when it compiles (it does, for a user: tests/reports), else the executor. So the report reads
through row-level security with the reader's scope, in a fixed number of statements, and shows
exactly what the API answers for the same tenant and month. A tenant the reader may not see is
`NotFound`, as in the API.

Why one document, compiled: one field the compiler does not build sends a whole document to the
executor, whose resolvers cost the report most of its time (BENCHMARKS.md). The fields derived by
rules (the budget forecast, the roadmap's quarters, the suggested agenda) compile from the same
definitions the executor runs (app/budgets/forecast.py, app/planning/roadmap.py,
app/steering/agenda.py), so nothing is left for the executor.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import OrderedDict
from pathlib import Path

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import ids
from app.api.compiled import document, run
from app.api.compiled.answers import Answers
from app.api.context import Context, Db
from app.auth.principal import Principal
from app.db.scope import GENERIC_PLANS
from app.errors import NotFound
from app.health.inputs import fiscal_year_of
from app.months import add_months
from app.reports.content import Report, report_content
from app.services import Services
from app.tenants.models import Tenant

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


OPERATION = "ExecutiveReport"
DOCUMENT = (OPERATIONS / "executive_report.graphql").read_text()
NOT_STORED = Answers(0)  # a report is read once; it is not worth a stored answer
TENANTS = Tenant.__table__
STARTS_KEPT = 10_000  # tenants' fiscal year starts kept per process (a few bytes each)


class ReportFailed(RuntimeError):
    """The document answered with errors (a bug, not the reader's doing): the report is not built."""


def variables(tenant_id: uuid.UUID, month: dt.date, start_month: int) -> dict:
    fiscal_year, _ = fiscal_year_of(month, start_month)
    return {"tenantId": ids.encode("Tenant", tenant_id), "month": f"{month:%Y-%m}",
            "from": f"{add_months(month, -11):%Y-%m}", "fiscalYear": fiscal_year, "nextFiscalYear": fiscal_year + 1}


_starts: OrderedDict[uuid.UUID, int] = OrderedDict()  # tenant -> fiscal year start month, last read first


def keep_start(tenant_id: uuid.UUID, start: int) -> None:
    _starts[tenant_id] = start
    _starts.move_to_end(tenant_id)
    if len(_starts) > STARTS_KEPT:
        _starts.popitem(last=False)


async def answer(services: Services, session: AsyncSession, schema, principal: Principal, tenant_id: uuid.UUID,
                 month: dt.date, compilations: run.Compilations | None = None,
                 planned: bool = False) -> tuple[dict, int]:
    """The document's `tenant` answer, and the fiscal year of `month`, as `principal` reads them.

    The document is the visibility check, as in the API: a tenant the reader may not see (or not
    active) answers null, and is `NotFound`. Its variables need the tenant's fiscal year start,
    read first (with `scope.GENERIC_PLANS`, the document's statement being planned once per
    connection) only for a tenant the reader's grants name. `planned` says the transaction has
    that setting already (the endpoint's reader set it: app/reports/endpoint.py); then a start
    kept from an earlier report stands in for the read, a round trip less, and the answer, which
    holds the tenant's start, tells whether it still was: if not, the document runs again with the
    tenant's. `compilations` (the API process's) keeps the document's compiled statement by the
    reader and the variables, as it keeps the API's: a report opened again is not compiled again
    (compiling its 48,000 characters took longer than rendering the page)."""
    if not principal.sees(tenant_id):
        raise NotFound("Tenant")
    start = _starts.get(tenant_id) if planned else None
    if start is None:
        plan = [GENERIC_PLANS] if await run.generic_plans_here(session) else []
        start = (await session.execute(select(TENANTS.c.fiscal_year_start_month, *plan)
                                       .where(TENANTS.c.id == tenant_id))).scalar()
        if start is None:
            raise NotFound("Tenant")
    for _ in range(2):  # once more when a kept start has changed: with the tenant's own
        given = variables(tenant_id, month, start)
        data = (await document_answer(services, session, schema, principal, given, compilations))["tenant"]
        if data is None or data["fiscalYearStartMonth"] == start:
            break
        start = data["fiscalYearStartMonth"]
    if data is None:
        raise NotFound("Tenant")  # not visible to the reader, or not active
    keep_start(tenant_id, start)
    return data, given["fiscalYear"]


async def document_answer(services: Services, session: AsyncSession, schema, principal: Principal, given: dict,
                          compilations: run.Compilations | None = None) -> dict:
    """The document's `data`: its compiled statement's, else the executor's."""
    body = await run.execute(session, schema, principal, DOCUMENT, given, OPERATION, NOT_STORED, compilations)
    if body is not None:
        return orjson.loads(body)["data"]
    context = Context(services, Db(session), principal)
    # Validated once per process (the compile attempt above has just asked for it: kept).
    parsed = document.valid_document(schema._schema, schema.compiled_validation_rules, DOCUMENT)
    if parsed is None:
        raise ReportFailed(f"The report's document {OPERATION} does not validate against the schema.")
    result = await schema.execute_validated(parsed, given, context, OPERATION)
    await context.db.close()
    if result.errors:
        raise ReportFailed(f"The report's document {OPERATION} failed: {result.errors[0].message}")
    return result.data


async def gather(services: Services, session: AsyncSession, schema, principal: Principal, tenant_id: uuid.UUID,
                 month: dt.date, compilations: run.Compilations | None = None, planned: bool = False) -> Report:
    data, fiscal_year = await answer(services, session, schema, principal, tenant_id, month, compilations, planned)
    return report_content(data, month, fiscal_year)
