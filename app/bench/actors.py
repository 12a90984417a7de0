"""Who the bench acts as: the seeded CIO, a client executive, an API key and a HaloPSA integration.

Created once through the real actions (the API shows keys and secrets only once, so they are kept
in `.bench/<database>.actors.json`) and reused on later runs against the same database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from app.auth.apikeys import create_api_key
from app.auth.principal import Principal
from app.bench.database import CIO_PASSWORD, PRACTICE
from app.db.scope import tenant_array, tenant_session
from app.integrations.actions import create_integration
from app.services import Services
from app.tenants.actions import create_user
from app.tenants.models import Grant, Practice, Role, Tenant, User

EXECUTIVE = "executive@bench-practice.example"
ADMIN = "admin@bench-practice.example"


@dataclass
class Actors:
    cio_email: str
    cio_id: str
    cio_tenant_ids: str  # the CIO's scope as the app writes it (PostgreSQL array literal)
    executive_email: str
    dashboard_tenant_id: str
    api_key: str
    ingest_tenant_id: str
    integration_id: str
    integration_secret: str
    password: str = CIO_PASSWORD


def load_or_create(path: Path, create: Callable[[], Actors]) -> Actors:
    """The saved actors of this database, or new ones (saved: keys are shown only once)."""
    if path.exists():
        return Actors(**json.loads(path.read_text()))
    actors = create()
    path.write_text(json.dumps(asdict(actors), indent=2))
    return actors


async def create(services: Services) -> Actors:
    sm = services.sessionmaker
    async with tenant_session(sm, ()) as session:
        practice_id = await session.scalar(select(Practice.id).where(Practice.name == PRACTICE))
        cio = (await session.execute(select(User.id, User.email).where(User.practice_id == practice_id, User.role == Role.CIO))).one()
        cio_tenants = sorted((await session.scalars(select(Grant.tenant_id).where(Grant.user_id == cio.id))).all())
        all_tenants = (await session.scalars(
            select(Tenant.id).where(Tenant.practice_id == practice_id).order_by(Tenant.name, Tenant.id)
        )).all()
    outside = [t for t in all_tenants if t not in set(cio_tenants)]
    dashboard, ingest, webhook = cio_tenants[0], outside[0], outside[1]
    async with tenant_session(sm, [dashboard]) as session:
        await create_user(session, practice_id, email=EXECUTIVE, name="Bench Executive", password=CIO_PASSWORD,
                          role=Role.CLIENT_EXECUTIVE, tenant_ids=[dashboard], actor=Principal.system([dashboard], practice_id))
    pushed = [ingest, webhook]
    async with tenant_session(sm, pushed) as session:
        admin = await create_user(session, practice_id, email=ADMIN, name="Bench Admin", password=CIO_PASSWORD,
                                  role=Role.PRACTICE_ADMIN, actor=Principal.system(pushed, practice_id))
        admin_principal = Principal("user", admin.id, practice_id, Role.PRACTICE_ADMIN, frozenset(pushed))
        _, key = await create_api_key(session, admin_principal, "bench ingestion", [ingest])
        integration, secret = await create_integration(
            session, admin_principal, webhook, "HALOPSA", secret_key=services.settings.secret_key,
            name="bench webhook", rate_limit_per_minute=100_000,
        )
    return Actors(
        cio_email=cio.email, cio_id=str(cio.id), cio_tenant_ids=tenant_array(cio_tenants), executive_email=EXECUTIVE,
        dashboard_tenant_id=str(dashboard), api_key=key, ingest_tenant_id=str(ingest),
        integration_id=str(integration.id), integration_secret=secret,
    )
