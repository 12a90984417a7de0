"""`fcio report`: a tenant's executive report written to a file, and the practice's link secret rotated.

The CLI reads as the system principal of the tenant's practice, scoped to that one tenant: what
the report holds is what the tenant's admin reads through the API. A slug names a tenant within
a practice; when several practices use it, `--practice` picks one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.api.schema import build_schema
from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.errors import Invalid, NotFound
from app.reports import formats, links
from app.reports.gather import gather
from app.services import Services
from app.tenants.models import Practice, Tenant, TenantStatus


@dataclass(frozen=True)
class Written:
    tenant: str
    month: dt.date
    body: bytes


async def find_tenant(services: Services, slug: str, practice: str | None) -> Tenant:
    query = select(Tenant, Practice.name).join(Practice, Practice.id == Tenant.practice_id).where(
        Tenant.slug == slug, Tenant.status == TenantStatus.ACTIVE)
    if practice is not None:
        query = query.where(Practice.name == practice)
    async with tenant_session(services.sessionmaker, ()) as session:
        found = (await session.execute(query)).all()
    if not found:
        where = f" in practice {practice!r}" if practice else ""
        raise NotFound(f"no active tenant with slug {slug!r}{where}; list them with the API's `tenants` query.")
    if len(found) > 1:
        names = ", ".join(sorted(repr(name) for _, name in found))
        raise Invalid(f"slug {slug!r} is used in several practices ({names}): add --practice NAME.")
    return found[0][0]


async def report_file(services: Services, slug: str, month: dt.date, extension: str, practice: str | None = None) -> Written:
    """The report of the tenant `slug` for `month` in the format `extension`, as the endpoint serves it."""
    if extension not in formats.FORMATS:
        raise Invalid(f"--format {extension!r} is not available; choose one of {', '.join(formats.FORMATS)}.")
    tenant = await find_tenant(services, slug, practice)
    principal = Principal.system([tenant.id], tenant.practice_id)
    schema = build_schema(services.settings.is_production)
    async with tenant_session(services.sessionmaker, [tenant.id]) as session:
        report = await gather(services, session, schema, principal, tenant.id, month)
    if report.score is None:
        raise NotFound(f"{tenant.name} has no health score for {month:%Y-%m}, so no report: compute it with "
                       f"`fcio recompute --month {month:%Y-%m} --tenant {slug}`.")
    return Written(tenant.name, month, formats.render(report, extension))


async def rotate(services: Services, practice: str) -> None:
    async with tenant_session(services.sessionmaker, ()) as session:
        if not await links.rotate_secret(session, practice):
            raise NotFound(f"no practice named {practice!r}.")
