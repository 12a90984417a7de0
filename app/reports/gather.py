"""The executive report's data for one tenant and month, gathered once for its three renderings.

The data is the answer of two GraphQL documents (graphql/operations/executive_report.graphql and
executive_report_rules.graphql) run as the reader, in the reader's transaction, each by the path
any request takes: its compiled statement when it compiles, else the executor. So the report reads
through row-level security with the reader's scope, in a fixed number of statements
(tests/reports), and shows exactly what the API answers for the same tenant and month. A tenant
the reader may not see is `NotFound`, as in the API.

Why two: one field the compiler does not build sends a whole document to the executor, whose
resolvers cost the report most of its time (BENCHMARKS.md). The first document holds what
compiles, one statement; the second the rest (the fields derived by Python rules, and those not
compiled yet), so each field that comes to compile moves from the second to the first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import ids
from app.api.compiled import document, run
from app.api.compiled.answers import Answers
from app.api.context import Context, Db
from app.auth.principal import Principal
from app.errors import NotFound
from app.guards import visible_tenant
from app.health.inputs import fiscal_year_of
from app.months import add_months
from app.reports.content import Report, report_content
from app.services import Services

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


@dataclass(frozen=True)
class Part:
    """One of the report's documents: its operation and text. Their `tenant` fields do not overlap."""

    operation: str
    document: str


PARTS = (Part("ExecutiveReport", (OPERATIONS / "executive_report.graphql").read_text()),
         Part("ExecutiveReportRules", (OPERATIONS / "executive_report_rules.graphql").read_text()))
NOT_STORED = Answers(0)  # a report is read once; it is not worth a stored answer


class ReportFailed(RuntimeError):
    """The document answered with errors (a bug, not the reader's doing): the report is not built."""


def variables(tenant_id: uuid.UUID, month: dt.date, start_month: int) -> dict:
    fiscal_year, _ = fiscal_year_of(month, start_month)
    return {"tenantId": ids.encode("Tenant", tenant_id), "month": f"{month:%Y-%m}",
            "from": f"{add_months(month, -11):%Y-%m}", "fiscalYear": fiscal_year, "nextFiscalYear": fiscal_year + 1}


async def answer(services: Services, session: AsyncSession, schema, principal: Principal, tenant_id: uuid.UUID,
                 month: dt.date) -> tuple[dict, int]:
    """The documents' `tenant` answers as one, and the fiscal year of `month`, as `principal` reads them."""
    tenant = await visible_tenant(session, principal, tenant_id)
    given = variables(tenant_id, month, tenant.fiscal_year_start_month)
    found: dict = {}
    for part in PARTS:
        data = await part_answer(services, session, schema, principal, part, given)
        if data["tenant"] is None:
            raise NotFound("Tenant")  # offboarded since `visible_tenant` read it
        found.update(data["tenant"])
    return found, given["fiscalYear"]


async def part_answer(services: Services, session: AsyncSession, schema, principal: Principal, part: Part,
                      given: dict) -> dict:
    """One document's `data`: its compiled statement's, else the executor's. Each document reads
    only the variables it declares (GraphQL ignores the others)."""
    body = await run.execute(session, schema, principal, part.document, given, part.operation, NOT_STORED)
    if body is not None:
        return orjson.loads(body)["data"]
    context = Context(services, Db(session), principal)
    # Validated once per process (the compile attempt above has just asked for it: kept).
    parsed = document.valid_document(schema._schema, schema.compiled_validation_rules, part.document)
    if parsed is None:
        raise ReportFailed(f"The report's document {part.operation} does not validate against the schema.")
    result = await schema.execute_validated(parsed, given, context, part.operation)
    await context.db.close()
    if result.errors:
        raise ReportFailed(f"The report's document {part.operation} failed: {result.errors[0].message}")
    return result.data


async def gather(services: Services, session: AsyncSession, schema, principal: Principal, tenant_id: uuid.UUID,
                 month: dt.date) -> Report:
    data, fiscal_year = await answer(services, session, schema, principal, tenant_id, month)
    return report_content(data, month, fiscal_year)
