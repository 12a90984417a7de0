"""What the triggers did still happens on a cluster: the app bumps the counters at commit.

Citus cannot run the change-counter triggers on its shards (infra/README.md, "Triggers on
Citus"); since migration 0019 the app's sessions hold the tenants each transaction writes and
bump them just before COMMIT, the same on both engines (app/db/written.py). tests/db/test_versions.py
runs here too (`make test-citus`); these check it through a real action.
"""

from sqlalchemy import func, select

from app.auth.principal import Principal
from app.risks import actions as risks
from app.risks.models import RiskCategory
from app.tenants.models import PracticeVersion, TenantVersion


async def sums(world, tenant, practice) -> tuple[int, int]:
    async with world.scope([tenant.id]) as s:
        return (await s.scalar(select(func.coalesce(func.sum(TenantVersion.version), 0)).where(TenantVersion.id == tenant.id)),
                await s.scalar(select(func.coalesce(func.sum(PracticeVersion.data), 0)).where(PracticeVersion.id == practice.id)))


async def test_a_write_bumps_its_tenants_and_its_practices_counters(world):
    practice = await world.practice()
    tenant, other = await world.tenant(practice), await world.tenant(practice)
    before, others = await sums(world, tenant, practice), await sums(world, other, practice)
    async with world.scope([tenant.id]) as s:
        await risks.create_risk(s, Principal.system([tenant.id], practice.id), tenant.id,
                                title="Unpatched VPN", category=RiskCategory.SECURITY, likelihood=4, impact=5)
    after = await sums(world, tenant, practice)
    assert after == (before[0] + 1, before[1] + 1)
    assert (await sums(world, other, practice))[0] == others[0]


async def test_a_rolled_back_write_bumps_nothing(world):
    practice = await world.practice()
    tenant = await world.tenant(practice)
    before = await sums(world, tenant, practice)
    try:
        async with world.scope([tenant.id]) as s:
            await risks.create_risk(s, Principal.system([tenant.id], practice.id), tenant.id,
                                    title="Unpatched VPN", category=RiskCategory.SECURITY, likelihood=4, impact=5)
            raise LookupError("the request fails after its write")
    except LookupError:
        pass
    assert await sums(world, tenant, practice) == before
