"""A client's reviews leave with its export and come back whole, into its own practice or another one."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.principal import Principal
from app.standards import actions
from app.standards.models import Standard
from app.tenants import export
from app.tenants.models import Role
from tests.apitools import Scene

REVIEWS = """query($id: ID!) { tenant(id: $id) { reviews { nodes { alignmentScore
  answers { standard { title active } alignment note } findings { note standard { title } } } } } }"""


async def test_reviews_imported_into_another_practice_find_its_standards(api, world):
    home, elsewhere = await world.practice(), await world.practice()
    tenant = await world.tenant(home)
    admin = await world.user(home, Role.PRACTICE_ADMIN)
    system = Principal.system([tenant.id], home.id)
    mfa = (await api.rows([], select(Standard).where(Standard.practice_id == home.id, Standard.key == "identity.mfa-everyone")))[0][0]
    as_admin = Principal("user", admin.id, home.id, Role.PRACTICE_ADMIN, frozenset({tenant.id}))
    async with world.scope([tenant.id]) as s:
        own = await actions.create_standard(
            s, as_admin,
            section="House rules", title="Badges worn", question="Do staff wear badges?", why_it_matters="Visitors stand out.",
            priority="LOW",
        )
        review = await actions.start_review(s, system, tenant.id)
        await actions.answer_standards(s, system, tenant.id, review.id, [
            actions.AnswerInput(mfa.id, "PARTIAL", "Admins only"), actions.AnswerInput(own.id, "NOT_ALIGNED", "No badges")])
        await actions.complete_review(s, system, tenant.id, review.id)
    before = await api.data(admin, REVIEWS, {"id": Scene.gid(tenant)})
    async with world.scope([tenant.id]) as s:
        document = await export.export_tenant(s, as_admin, tenant.id)
        await export.offboard_tenant(s, as_admin, tenant.id, tenant.slug)
    document["tables"]["tenants"][0]["practice_id"] = str(elsewhere.id)
    document["tables"]["audit_events"] = []

    await export.import_document(api.services.sessionmaker, document)

    theirs = await world.user(elsewhere, Role.PRACTICE_ADMIN)
    after = await api.data(theirs, REVIEWS, {"id": Scene.gid(tenant)})
    (shown,) = after["tenant"]["reviews"]["nodes"]
    assert shown["alignmentScore"] == before["tenant"]["reviews"]["nodes"][0]["alignmentScore"]
    assert {(a["standard"]["title"], a["standard"]["active"], a["note"]) for a in shown["answers"]} == {
        ("Multi-factor sign-in for everyone", True, "Admins only"), ("Badges worn", False, "No badges")}
    library = await api.rows([], select(Standard.id, Standard.key, Standard.active).where(Standard.practice_id == elsewhere.id))
    assert sum(1 for r in library if r.key == "identity.mfa-everyone") == 1  # found by its key, not copied
    assert [r.active for r in library if r.key is None] == [False]  # the other practice's own standard, inactive
