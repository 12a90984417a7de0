"""The demo practice and the synthetic seed carry reviews a CIO can show: findings linked, change visible."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db.scope import tenant_session
from app.health.formula import alignment_score
from app.seed.demo import DEMO_PRACTICE, seed_demo
from app.standards import alignment
from app.standards.models import Finding, Review, ReviewAnswer, ReviewStatus, Standard
from app.tenants.models import Practice, Role, Tenant

SCREEN = """{ tenants(first: 20) { nodes { name latestReview { id }
  reviews { nodes { status alignmentScore answered findings { initiative { title } } changesSincePrevious { kind } } } } } }"""


async def test_the_demo_has_two_reviews_per_client_with_linked_findings_and_change(api, sessionmaker):
    summary = await seed_demo(sessionmaker)
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


async def test_seeded_scores_and_findings_follow_the_review_rules(sessionmaker):
    """The bulk rows agree with what completeReview computes from the same answers."""
    await seed_demo(sessionmaker)
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
