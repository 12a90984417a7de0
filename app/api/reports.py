"""`Tenant.executiveReport`: where the monthly executive report of a tenant is served (app/reports).

The field answers the report's addresses, not its content: the files are rendered when fetched
(`GET /reports/{tenantId}/{month}.{ext}`, app/reports/endpoint.py), with the same Authorization
header. It is null for a month without a health score, which the endpoint answers 404.
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry

from app.api.context import Context
from app.api.health import tenant_health
from app.api.scalars import Month
from app.months import last_full_month
from app.reports.links import report_url


@strawberry.type(description="The monthly executive report; GET its URLs with the same Authorization header.")
class ExecutiveReport:
    month: Month
    html_url: str = strawberry.field(description="The page: self-contained, no script, a strict Content-Security-Policy.")
    pdf_url: str
    pptx_url: str


async def tenant_report(ctx: Context, tenant_id: uuid.UUID, month: dt.date | None) -> ExecutiveReport | None:
    """API keys are FORBIDDEN: reports are read by people (the endpoint answers them 404)."""
    ctx.user_viewer()
    month = month or last_full_month()
    if await tenant_health(ctx, tenant_id, month) is None:
        return None
    public_url = ctx.services.settings.public_url
    return ExecutiveReport(month=month, html_url=report_url(public_url, tenant_id, month, "html"),
                           pdf_url=report_url(public_url, tenant_id, month, "pdf"),
                           pptx_url=report_url(public_url, tenant_id, month, "pptx"))
