"""The executive report's data for one tenant and month, gathered once for its three renderings.

The data is the answer of one GraphQL document (graphql/operations/executive_report.graphql) run
as the reader, in the reader's transaction, by the path any request takes: its compiled statement
when it compiles, else the executor. So the report reads through row-level security with the
reader's scope, in a fixed number of statements (tests/reports), and shows exactly what the API
answers for the same tenant and month. A tenant the reader may not see is `NotFound`, as in the API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import ids
from app.api.compiled import document, run
from app.api.compiled.answers import Answers
from app.api.context import Context, Db
from app.auth.principal import Principal
from app.guards import visible_tenant
from app.health.inputs import fiscal_year_of
from app.months import add_months
from app.reports.content import Report, report_content
from app.services import Services

DOCUMENT = (Path(__file__).resolve().parents[2] / "graphql" / "operations" / "executive_report.graphql").read_text()
OPERATION = "ExecutiveReport"
NOT_STORED = Answers(0)  # a report is read once; it is not worth a stored answer


class ReportFailed(RuntimeError):
    """The document answered with errors (a bug, not the reader's doing): the report is not built."""


def variables(tenant_id: uuid.UUID, month: dt.date, start_month: int) -> dict:
    fiscal_year, _ = fiscal_year_of(month, start_month)
    return {"tenantId": ids.encode("Tenant", tenant_id), "month": f"{month:%Y-%m}",
            "from": f"{add_months(month, -11):%Y-%m}", "fiscalYear": fiscal_year, "nextFiscalYear": fiscal_year + 1}


async def answer(services: Services, session: AsyncSession, schema, principal: Principal, tenant_id: uuid.UUID,
                 month: dt.date) -> tuple[dict, int]:
    """The document's `tenant` answer and the fiscal year of `month`, as `principal` reads them."""
    tenant = await visible_tenant(session, principal, tenant_id)
    given = variables(tenant_id, month, tenant.fiscal_year_start_month)
    body = await run.execute(session, schema, principal, DOCUMENT, given, OPERATION, NOT_STORED)
    if body is not None:
        data = orjson.loads(body)["data"]
    else:
        context = Context(services, Db(session), principal)
        # Validated once per process (the compile attempt above has just asked for it: kept).
        parsed = document.valid_document(schema._schema, schema.compiled_validation_rules, DOCUMENT)
        if parsed is None:
            raise ReportFailed("The report's document does not validate against the schema.")
        result = await schema.execute_validated(parsed, given, context, OPERATION)
        await context.db.close()
        if result.errors:
            raise ReportFailed(f"The report's document failed: {result.errors[0].message}")
        data = result.data
    return data["tenant"], given["fiscalYear"]


async def gather(services: Services, session: AsyncSession, schema, principal: Principal, tenant_id: uuid.UUID,
                 month: dt.date) -> Report:
    data, fiscal_year = await answer(services, session, schema, principal, tenant_id, month)
    return report_content(data, month, fiscal_year)
