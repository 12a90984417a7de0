"""The demo practice and the synthetic seed carry reviews a CIO can show: findings linked, change visible.

The demo is seeded into a database of its own, so these tests neither depend on nor change what
tests/seed/test_demo.py finds in the suite's database.
"""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from arq import create_pool
from sqlalchemy import func, select

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.scope import tenant_session
from app.health.formula import alignment_score
from app.seed.demo import DEMO_PRACTICE, seed_demo
from app.services import Services, redis_settings
from app.settings import Settings
from app.standards import alignment
from app.standards.models import Finding, Review, ReviewAnswer, ReviewStatus, Standard
from app.tenants.models import Practice, Role, Tenant
from app.web import create_app
from tests.apitools import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def demo_url(fresh_database) -> str:
    url = fresh_database("fcio_demo")
    migrate.upgrade(url)
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo(demo_url, redis_url):
    """(sessionmaker, summary, api) of the seeded demo database, with the production app over it."""
    engine = make_engine(demo_url)
    sessionmaker = make_sessionmaker(engine)
    summary = await seed_demo(sessionmaker)
    settings = Settings(database_url=demo_url, redis_url=redis_url, env="test")
    redis = await create_pool(redis_settings(redis_url))
    services = Services(settings, engine, sessionmaker, redis)
    transport = httpx.ASGITransport(app=create_app(settings, services), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield sessionmaker, summary, Api(http, services)
    await redis.aclose()
    await engine.dispose()


SCREEN = """{ tenants(first: 20) { nodes { name latestReview { id }
  reviews { nodes { status alignmentScore answered findings { initiative { title } } changesSincePrevious { kind } } } } } }"""


async def test_demo_clients_reviewed_have_two_reviews_with_linked_findings_and_change(demo):
    _, summary, api = demo
    cio = next(login for login in summary.logins if login.role == Role.CIO)

    tenants = (await api.data(SCREEN, {}, await api.login(cio.email, cio.password)))["tenants"]["nodes"]

    reviewed = [t for t in tenants if t["reviews"]["nodes"]]
    assert len(reviewed) >= len(tenants) // 2 and all(len(t["reviews"]["nodes"]) == 2 for t in reviewed)
    assert all(t["latestReview"] is None for t in tenants if t not in reviewed)
    reviews = [r for t in reviewed for r in t["reviews"]["nodes"]]
    assert {r["status"] for r in reviews} == {"COMPLETED"} and all(0 <= r["alignmentScore"] <= 100 for r in reviews)
    assert any(f["initiative"] for t in reviewed for f in t["reviews"]["nodes"][0]["findings"])
    kinds = {c["kind"] for t in reviewed for c in t["reviews"]["nodes"][0]["changesSincePrevious"]}
    assert {"IMPROVED", "REGRESSED", "NEW"} <= kinds
    assert all(t["reviews"]["nodes"][1]["changesSincePrevious"] == [] for t in reviewed)


async def test_seeded_scores_and_findings_follow_the_review_rules(demo):
    """The bulk rows agree with what completeReview computes from the same answers."""
    sessionmaker, _, _ = demo
    async with tenant_session(sessionmaker, ()) as s:
        demo = select(Tenant.id).join(Practice, Practice.id == Tenant.practice_id).where(Practice.name == DEMO_PRACTICE)
        tenant_ids = list(await s.scalars(demo))
    async with tenant_session(sessionmaker, tenant_ids) as s:
        answers = (await s.execute(
            select(ReviewAnswer.review_id, ReviewAnswer.alignment, Standard.priority)
            .join(Standard, Standard.id == ReviewAnswer.standard_id).where(ReviewAnswer.tenant_id.in_(tenant_ids))
        )).all()
        scores = dict((await s.execute(select(Review.id, Review.alignment_score).where(
            Review.tenant_id.in_(tenant_ids), Review.status == ReviewStatus.COMPLETED))).all())
        findings = dict((await s.execute(select(Finding.review_id, func.count()).where(
            Finding.tenant_id.in_(tenant_ids)).group_by(Finding.review_id))).all())
    sums: dict = {}
    for review_id, answer, priority in answers:
        halves, possible, gaps = sums.get(review_id, (0, 0, 0))
        sums[review_id] = (halves + alignment.earned_halves(priority, answer), possible + alignment.weight(priority, answer),
                           gaps + (answer in alignment.GAPS))
    assert set(sums) == set(scores)
    assert {r: alignment_score(h, p) for r, (h, p, _) in sums.items()} == scores
    assert {r: g for r, (_, _, g) in sums.items() if g} == findings
