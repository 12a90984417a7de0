"""Who the bench acts as: CIOs and admins of every size, a client executive, API keys and a HaloPSA integration.

Created once through the real actions (the API shows keys and secrets only once, so they are kept
in `.bench/<database>.actors.json`) and reused on later runs against the same database. A file
saved by an older bench, which lacks some of today's actors, is completed: the users it names
are found again by email and its secrets kept, and only what is missing is created.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from app.auth.apikeys import create_api_key
from app.auth.principal import Principal
from app.bench.database import CIO_PASSWORD, PRACTICE, Size, portfolio_practice
from app.db.scope import set_tenants, tenant_array, tenant_session
from app.integrations.actions import create_integration
from app.services import Services
from app.tenants.actions import create_user
from app.tenants.models import Grant, Practice, Role, Tenant, User
from app.validation import slugify

EXECUTIVE = "executive@bench-practice.example"
ADMIN = "admin@bench-practice.example"
SMALL_CIO = "cio10@bench-practice.example"
SMALL_CIO_TENANTS = 10
MIXED_API_KEYS = 8  # the mixed workload's PSA sync jobs: a key is allowed 600 requests a minute


@dataclass(frozen=True)
class PracticeAdmin:
    tenants: int
    email: str
    practice_id: str


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
    admin_email: str  # the bench practice's admin: sees every one of its tenants
    small_cio_email: str  # a CIO of the bench practice granted 10 tenants, the dashboard tenant among them
    small_cio_tenant_ids: list[str]
    portfolio_admins: list[PracticeAdmin]  # the admin of each portfolio practice (Size.portfolios)
    mixed_api_keys: list[str]  # on the dashboard tenant, for the mixed workload's PSA pushes
    password: str = CIO_PASSWORD

    def portfolio_admin(self, tenants: int) -> PracticeAdmin:
        return next(a for a in self.portfolio_admins if a.tenants == tenants)

    def emails(self) -> list[str]:
        """Every user the bench signs in as (all with `password`)."""
        return [self.cio_email, self.executive_email, self.admin_email, self.small_cio_email,
                *(a.email for a in self.portfolio_admins)]

    @classmethod
    def of(cls, saved: dict) -> Actors:
        return cls(**{**saved, "portfolio_admins": [PracticeAdmin(**a) for a in saved["portfolio_admins"]]})


FIELDS = {f.name for f in dataclasses.fields(Actors) if f.default is dataclasses.MISSING}


def load_or_create(path: Path, create: Callable[[dict], Actors]) -> Actors:
    """The saved actors of this database, completed or created when needed (saved: keys are shown only once)."""
    saved = json.loads(path.read_text()) if path.exists() else {}
    if FIELDS <= saved.keys():
        return Actors.of(saved)
    actors = create(saved)
    path.write_text(json.dumps(asdict(actors), indent=2))
    return actors


async def user_id(session, practice_id: uuid.UUID, email: str, role: Role, tenant_ids: list[uuid.UUID],
                  audited: list[uuid.UUID]) -> uuid.UUID:
    """The user with `email`, created through the action the first time (audited under `audited`)."""
    found = await session.scalar(select(User.id).where(User.email == email))
    if found is not None:
        return found
    user = await create_user(session, practice_id, email=email, name=email.split("@")[0], password=CIO_PASSWORD,
                             role=role, tenant_ids=tenant_ids, actor=Principal.system(audited, practice_id))
    return user.id


async def practice_tenants(session, name: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    practice_id = await session.scalar(select(Practice.id).where(Practice.name == name))
    tenants = (await session.scalars(
        select(Tenant.id).where(Tenant.practice_id == practice_id).order_by(Tenant.name, Tenant.id)
    )).all()
    return practice_id, list(tenants)


async def create(services: Services, size: Size, saved: dict) -> Actors:
    sm = services.sessionmaker
    async with tenant_session(sm, ()) as session:
        practice_id, all_tenants = await practice_tenants(session, PRACTICE)
        cio = (await session.execute(select(User.id, User.email).where(User.practice_id == practice_id, User.role == Role.CIO,
                                                                       User.email != SMALL_CIO))).one()
        cio_tenants = sorted((await session.scalars(select(Grant.tenant_id).where(Grant.user_id == cio.id))).all())
        outside = [t for t in all_tenants if t not in set(cio_tenants)]
        dashboard, ingest, webhook = cio_tenants[0], outside[0], outside[1]
        small_cio_tenants = cio_tenants[:SMALL_CIO_TENANTS]
        await user_id(session, practice_id, EXECUTIVE, Role.CLIENT_EXECUTIVE, [dashboard], [dashboard])
        await user_id(session, practice_id, SMALL_CIO, Role.CIO, small_cio_tenants, small_cio_tenants)
        admin = await user_id(session, practice_id, ADMIN, Role.PRACTICE_ADMIN, [], [ingest, webhook])
        admins = []
        for tenants in size.portfolios:
            other, its_tenants = await practice_tenants(session, portfolio_practice(tenants))
            email = f"admin@{slugify(portfolio_practice(tenants))}.example"
            await user_id(session, other, email, Role.PRACTICE_ADMIN, [], its_tenants[:1])
            admins.append(PracticeAdmin(tenants, email, str(other)))
        reached = [ingest, webhook, dashboard]
        await set_tenants(session, reached)
        admin_principal = Principal("user", admin, practice_id, Role.PRACTICE_ADMIN, frozenset(reached))
        pushes = {k: saved[k] for k in ("api_key", "ingest_tenant_id", "integration_id", "integration_secret") if k in saved}
        if len(pushes) < 4:
            _, key = await create_api_key(session, admin_principal, "bench ingestion", [ingest])
            integration, secret = await create_integration(
                session, admin_principal, webhook, "HALOPSA", secret_key=services.settings.secret_key,
                name="bench webhook", rate_limit_per_minute=100_000,
            )
            pushes = dict(api_key=key, ingest_tenant_id=str(ingest), integration_id=str(integration.id),
                          integration_secret=secret)
        mixed_keys = saved.get("mixed_api_keys") or [
            (await create_api_key(session, admin_principal, f"bench mixed PSA {n}", [dashboard]))[1]
            for n in range(MIXED_API_KEYS)
        ]
    return Actors(
        cio_email=cio.email, cio_id=str(cio.id), cio_tenant_ids=tenant_array(cio_tenants), executive_email=EXECUTIVE,
        dashboard_tenant_id=str(dashboard), **pushes, admin_email=ADMIN, small_cio_email=SMALL_CIO,
        small_cio_tenant_ids=[str(t) for t in small_cio_tenants], portfolio_admins=admins, mixed_api_keys=mixed_keys,
    )
