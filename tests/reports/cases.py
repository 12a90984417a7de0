"""What the renderings' tests share: the API's own answer, and a bare client whose one risk has a hostile title."""

from __future__ import annotations

from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.reports.gather import DOCUMENT, variables
from app.risks import actions as risks
from app.risks.models import RiskCategory
from app.tenants.models import Role

HOSTILE = "<script>alert(1)</script> {{ 7*7 }} ü 🚀"


async def api_answer(api, user, tenant, month) -> dict:
    """The `tenant` of the report's document as `POST /graphql` answers it: the figures every format must show."""
    body = await api.post(DOCUMENT, variables(tenant.id, month, tenant.fiscal_year_start_month), api.token(user))
    return body["data"]["tenant"]


async def bare_client(api, world):
    """A new client with nothing but one open risk titled HOSTILE, and its practice's admin."""
    practice = await world.practice()
    # A name of its own: a random one may hold the digits the tests look for ("49", what {{ 7*7 }} would give).
    tenant = await world.tenant(practice, name="Bare Client")
    admin = await world.user(practice, Role.PRACTICE_ADMIN)
    async with tenant_session(api.services.sessionmaker, [tenant.id]) as s:
        await risks.create_risk(s, Principal.system([tenant.id], practice.id), tenant.id, title=HOSTILE,
                                category=RiskCategory.SECURITY, likelihood=4, impact=5)
    return tenant, admin
