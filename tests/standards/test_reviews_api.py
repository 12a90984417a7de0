"""Reviews through GraphQL: start, answer in batches, complete (score, findings, changes), link findings."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from app.api import ids
from app.auth.principal import Principal
from app.health.actions import score_batch
from app.health.models import StaleHealthMonth
from app.months import add_months, current_month
from app.planning.actions import create_initiative
from app.standards import actions
from app.standards.models import Review, ReviewAnswer, Standard, StandardPriority
from app.tenants.models import Role
from tests.api.compiled_pair import Pair
from tests.apitools import Scene, error_codes, user_error_codes

ERRORS = "userErrors { field code message }"
REVIEW = ("id version status startedAt completedAt alignmentScore answered applicable "
          "answers { standard { id title } alignment note } findings { id alignment note standard { title } initiative { id } } "
          "changesSincePrevious { standard { title } before after kind }")
START = f"mutation($input: StartReviewInput!) {{ startReview(input: $input) {{ review {{ id status }} {ERRORS} }} }}"
ANSWER = f"mutation($input: AnswerStandardsInput!) {{ answerStandards(input: $input) {{ review {{ {REVIEW} }} {ERRORS} }} }}"
COMPLETE = f"mutation($input: IdInput!) {{ completeReview(input: $input) {{ review {{ {REVIEW} }} {ERRORS} }} }}"
LINK = f"mutation($input: LinkFindingInput!) {{ linkFinding(input: $input) {{ finding {{ id initiative {{ title }} }} {ERRORS} }} }}"
REVIEWS = f"query($id: ID!) {{ tenant(id: $id) {{ latestReview {{ id alignmentScore }} reviews {{ totalCount nodes {{ {REVIEW} }} }} }} }}"
INITIATIVE = "query($id: ID!) { node(id: $id) { ... on Initiative { title findings { id note standard { title } } } } }"


async def library(api, practice, *titles: str) -> dict[str, Standard]:
    """The practice's standards with these titles (from its copy of the built-in library)."""
    rows = await api.rows([], select(Standard).where(Standard.practice_id == practice.id, Standard.title.in_(titles)))
    return {r.Standard.title: r.Standard for r in rows}


def sid(standard) -> str:
    return ids.encode("Standard", standard.id)


MFA, BACKUP, TESTED, PLAN = ("Multi-factor sign-in for everyone", "Every critical system is backed up",
                             "Restores are tested", "Monthly steering meetings")


async def started(api, user, tenant) -> str:
    payload = await api.mutate(user, START, {"tenantId": Scene.gid(tenant)})
    assert payload["userErrors"] == [], payload
    return payload["review"]["id"]


async def answer(api, user, review: str, *answers) -> dict:
    return await api.mutate(user, ANSWER, {"reviewId": review, "answers": [
        {"standardId": sid(s), "alignment": a, **({"note": n} if n else {})} for s, a, n in answers
    ]})


async def test_a_review_is_answered_in_batches_and_completed_with_score_and_findings(api, scene: Scene):
    s = await library(api, scene.practice, MFA, BACKUP, TESTED, PLAN)
    review = await started(api, scene.cio, scene.tenant)

    first = await answer(api, scene.cio, review, (s[MFA], "NOT_ALIGNED", "Only admins have MFA"), (s[BACKUP], "ALIGNED", None))
    assert first["userErrors"] == []
    second = await answer(api, scene.cio, review, (s[MFA], "PARTIAL", "Admins and finance have MFA"),
                          (s[TESTED], "NOT_ALIGNED", "Never tested"), (s[PLAN], "NOT_APPLICABLE", None))
    assert second["review"]["answered"] == 4 and second["review"]["applicable"] == 3
    assert second["review"]["version"] > first["review"]["version"]
    mfa = [a for a in second["review"]["answers"] if a["standard"]["title"] == MFA]
    assert mfa == [{"standard": {"id": sid(s[MFA]), "title": MFA}, "alignment": "PARTIAL", "note": "Admins and finance have MFA"}]

    done = (await api.mutate(scene.cio, COMPLETE, {"id": review}))["review"]

    # HIGH partial 5 * 0.5 + HIGH aligned 5 * 1 + HIGH not aligned 0 over 15: 50; NOT_APPLICABLE is in neither sum.
    assert (done["status"], done["alignmentScore"]) == ("COMPLETED", 50)
    assert done["completedAt"] is not None
    assert sorted((f["standard"]["title"], f["alignment"], f["note"]) for f in done["findings"]) == [
        (MFA, "PARTIAL", "Admins and finance have MFA"), (TESTED, "NOT_ALIGNED", "Never tested"),
    ]
    assert done["changesSincePrevious"] == []  # the tenant's first review
    assert (await api.audit_actions(scene.tenant))[-4:] == ["review.create", "review.answer", "review.answer", "review.complete"]


async def test_the_second_review_shows_what_changed(api, scene: Scene):
    s = await library(api, scene.practice, MFA, BACKUP, TESTED, PLAN)
    first = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, first, (s[MFA], "NOT_ALIGNED", None), (s[BACKUP], "ALIGNED", None), (s[PLAN], "ALIGNED", None))
    await api.mutate(scene.cio, COMPLETE, {"id": first})
    second = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, second, (s[MFA], "ALIGNED", None), (s[BACKUP], "PARTIAL", None),
                 (s[TESTED], "ALIGNED", None), (s[PLAN], "ALIGNED", "unchanged"))

    done = (await api.mutate(scene.cio, COMPLETE, {"id": second}))["review"]

    assert sorted((c["standard"]["title"], c["before"], c["after"], c["kind"]) for c in done["changesSincePrevious"]) == [
        (BACKUP, "ALIGNED", "PARTIAL", "REGRESSED"), (MFA, "NOT_ALIGNED", "ALIGNED", "IMPROVED"),
        (TESTED, None, "ALIGNED", "NEW"),
    ]
    data = await api.data(scene.executive, REVIEWS, {"id": scene.gid(scene.tenant)})
    tenant = data["tenant"]
    assert tenant["latestReview"]["id"] == second
    assert [r["id"] for r in tenant["reviews"]["nodes"]] == [second, first]  # newest first
    # The first review still compares with nothing; the second's changes read the same from the list.
    assert tenant["reviews"]["nodes"][1]["changesSincePrevious"] == []
    assert tenant["reviews"]["nodes"][0]["changesSincePrevious"] == done["changesSincePrevious"]


async def test_one_review_in_progress_at_a_time_even_when_started_together(api, scene: Scene):
    payloads = await asyncio.gather(*(api.mutate(scene.cio, START, {"tenantId": scene.gid(scene.tenant)}) for _ in range(4)))

    assert sorted(bool(p["review"]) for p in payloads) == [False, False, False, True]
    assert {e["code"] for p in payloads for e in p["userErrors"]} == {"CONFLICT"}
    assert len(await api.rows([scene.tenant.id], select(Review.id).where(Review.tenant_id == scene.tenant.id))) == 1


async def test_answers_outside_the_active_library_are_not_found_and_store_nothing(api, scene: Scene, world):
    s = await library(api, scene.practice, MFA, BACKUP)
    foreign = await library(api, await world.practice(), MFA)
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    retired = await api.mutate(admin, """mutation($input: UpdateStandardInput!) { updateStandard(input: $input) {
        standard { active } userErrors { code } } }""", {"id": sid(s[BACKUP]), "active": False})
    assert retired["standard"] == {"active": False}
    review = await started(api, scene.cio, scene.tenant)

    payload = await api.mutate(scene.cio, ANSWER, {"reviewId": review, "answers": [
        {"standardId": sid(s[MFA]), "alignment": "ALIGNED"},
        {"standardId": sid(foreign[MFA]), "alignment": "ALIGNED"},
        {"standardId": sid(s[BACKUP]), "alignment": "ALIGNED"},
        {"standardId": "not-an-id", "alignment": "ALIGNED"},
    ]})

    assert user_error_codes(payload) == [
        ("NOT_FOUND", ["answers", "1", "standardId"]), ("NOT_FOUND", ["answers", "2", "standardId"]),
        ("NOT_FOUND", ["answers", "3", "standardId"]),
    ]
    assert await api.rows([scene.tenant.id], select(ReviewAnswer.standard_id).where(ReviewAnswer.tenant_id == scene.tenant.id)) == []


async def test_reviews_of_other_tenants_are_not_found(api, scene: Scene, world):
    s = await library(api, scene.practice, MFA)
    theirs = await started(api, await world.user(scene.practice, Role.PRACTICE_ADMIN), scene.other)

    for query, input in ((ANSWER, {"reviewId": theirs, "answers": [{"standardId": sid(s[MFA]), "alignment": "ALIGNED"}]}),
                         (COMPLETE, {"id": theirs})):
        payload = await api.mutate(scene.cio, query, input)
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], payload
    assert (await api.mutate(scene.cio, START, {"tenantId": scene.gid(scene.foreign)}))["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await api.data(scene.cio, "query($id: ID!) { node(id: $id) { id } }", {"id": theirs}))["node"] is None


async def test_completing_needs_an_answer_and_a_completed_review_never_changes(api, scene: Scene):
    s = await library(api, scene.practice, MFA)
    review = await started(api, scene.cio, scene.tenant)

    empty = await api.mutate(scene.cio, COMPLETE, {"id": review})
    assert user_error_codes(empty) == [("INVALID", ["id"])]

    await answer(api, scene.cio, review, (s[MFA], "ALIGNED", None))
    done = await api.mutate(scene.cio, COMPLETE, {"id": review})
    again = await api.mutate(scene.cio, COMPLETE, {"id": review})
    late = await answer(api, scene.cio, review, (s[MFA], "NOT_ALIGNED", None))

    assert user_error_codes(again) == [("INVALID", ["id"])]
    assert user_error_codes(late) == [("INVALID", ["reviewId"])]
    after = await api.data(scene.cio, f"query($id: ID!) {{ node(id: $id) {{ ... on Review {{ {REVIEW} }} }} }}", {"id": review})
    assert after["node"] == done["review"]


async def test_a_review_of_only_not_applicable_answers_has_no_score(api, scene: Scene):
    s = await library(api, scene.practice, MFA)
    review = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, review, (s[MFA], "NOT_APPLICABLE", None))

    done = (await api.mutate(scene.cio, COMPLETE, {"id": review}))["review"]

    assert (done["alignmentScore"], done["answered"], done["applicable"], done["findings"]) == (None, 1, 0, [])


async def test_more_than_500_answers_in_one_call_are_refused(api, scene: Scene):
    s = await library(api, scene.practice, MFA)
    review = await started(api, scene.cio, scene.tenant)

    payload = await api.mutate(scene.cio, ANSWER, {"reviewId": review, "answers": [
        {"standardId": sid(s[MFA]), "alignment": "ALIGNED"}] * 501})

    assert user_error_codes(payload) == [("LIMIT", ["answers"])]


async def test_a_deactivated_standard_stays_readable_in_old_reviews(api, scene: Scene, world):
    s = await library(api, scene.practice, MFA)
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    review = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, review, (s[MFA], "PARTIAL", None))
    await api.mutate(scene.cio, COMPLETE, {"id": review})

    await api.mutate(admin, """mutation($input: UpdateStandardInput!) { updateStandard(input: $input) { userErrors { code } } }""",
                     {"id": sid(s[MFA]), "active": False})

    data = await api.data(scene.executive, """query($id: ID!) { node(id: $id) { ... on Review {
        answers { standard { title active } } findings { standard { title active } } } } }""", {"id": review})
    assert data["node"]["answers"] == [{"standard": {"title": MFA, "active": False}}]
    assert data["node"]["findings"] == [{"standard": {"title": MFA, "active": False}}]


async def test_findings_link_to_an_initiative_of_the_same_tenant(api, scene: Scene):
    s = await library(api, scene.practice, MFA, TESTED)
    review = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, review, (s[MFA], "NOT_ALIGNED", "No MFA"), (s[TESTED], "PARTIAL", "Files only"))
    findings = (await api.mutate(scene.cio, COMPLETE, {"id": review}))["review"]["findings"]
    initiative = await api.act(scene.tenant, create_initiative, title="Roll out MFA")
    elsewhere = await api.act(scene.other, create_initiative, title="Not this tenant's")
    mfa = next(f["id"] for f in findings if f["standard"]["title"] == MFA)

    linked = await api.mutate(scene.cio, LINK, {"findingId": mfa, "initiativeId": scene.object_id("Initiative", initiative)})
    refused = await api.mutate(scene.cio, LINK, {"findingId": mfa, "initiativeId": scene.object_id("Initiative", elsewhere)})
    forged = await api.mutate(scene.cio, LINK, {
        "findingId": mfa, "initiativeId": ids.encode("Initiative", elsewhere.id, scene.tenant.id)})

    assert linked == {"finding": {"id": mfa, "initiative": {"title": "Roll out MFA"}}, "userErrors": []}
    assert user_error_codes(refused) == user_error_codes(forged) == [("NOT_FOUND", ["initiativeId"])]
    shown = await api.data(scene.executive, INITIATIVE, {"id": scene.object_id("Initiative", initiative)})
    assert shown["node"]["findings"] == [{"id": mfa, "note": "No MFA", "standard": {"title": MFA}}]

    unlinked = await api.mutate(scene.cio, LINK, {"findingId": mfa, "initiativeId": None})
    assert unlinked["finding"]["initiative"] is None
    assert (await api.data(scene.cio, INITIATIVE, {"id": scene.object_id("Initiative", initiative)}))["node"]["findings"] == []
    assert (await api.audit_actions(scene.tenant))[-2:] == ["finding.update", "finding.update"]


async def test_executives_read_reviews_but_change_nothing_and_api_keys_read_none(api, scene: Scene, world):
    s = await library(api, scene.practice, MFA)
    review = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, review, (s[MFA], "NOT_ALIGNED", None))

    for query, input in ((START, {"tenantId": scene.gid(scene.tenant)}), (COMPLETE, {"id": review}),
                         (ANSWER, {"reviewId": review, "answers": [{"standardId": sid(s[MFA]), "alignment": "ALIGNED"}]})):
        assert error_codes(await api.run(scene.executive, query, {"input": input})) == ["FORBIDDEN"]
    data = await api.data(scene.executive, REVIEWS, {"id": scene.gid(scene.tenant)})
    assert data["tenant"]["reviews"]["nodes"][0]["answers"][0]["alignment"] == "NOT_ALIGNED"

    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    key = (await api.mutate(admin, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }",
                            {"name": "PSA", "tenantIds": [scene.gid(scene.tenant)]}))["key"]
    body = await api.post("query($id: ID!) { tenant(id: $id) { name reviews { totalCount } } }", {"id": scene.gid(scene.tenant)}, key)
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": review}, key))["node"] is None
    assert error_codes(await api.post(START, {"input": {"tenantId": scene.gid(scene.tenant)}}, key)) == ["FORBIDDEN"]


async def test_a_review_completed_in_a_scored_month_marks_it_and_later_ones_stale(api, scene: Scene, sessionmaker, world):
    last, before_last = add_months(current_month(), -1), add_months(current_month(), -2)
    await score_batch(sessionmaker, [scene.tenant.id], before_last)
    await score_batch(sessionmaker, [scene.tenant.id], last)
    stale = select(StaleHealthMonth.month).where(StaleHealthMonth.tenant_id == scene.tenant.id)
    s = await library(api, scene.practice, MFA)
    system = Principal.system([scene.tenant.id], scene.practice.id)
    async with world.scope([scene.tenant.id]) as session:
        review = await actions.start_review(session, system, scene.tenant.id)
        await actions.answer_standards(session, system, scene.tenant.id, review.id, [actions.AnswerInput(s[MFA].id, "ALIGNED")])
        await actions.complete_review(
            session, system, scene.tenant.id, review.id,
            completed_at=dt.datetime.combine(before_last.replace(day=14), dt.time(10), dt.UTC),
        )

    assert sorted(r.month for r in await api.rows([scene.tenant.id], stale)) == [before_last, last]


async def test_copying_the_library_again_adds_nothing_and_keeps_edits(api, world):
    practice = await world.practice()
    count = select(Standard.id).where(Standard.practice_id == practice.id)
    built_in = len(await api.rows([], count))
    async with world.scope(()) as s:
        assert await actions.copy_library(s, practice.id) == 0
    assert built_in >= 44
    assert len(await api.rows([], count)) == built_in
    priorities = {r.priority for r in await api.rows([], select(Standard.priority).where(Standard.practice_id == practice.id))}
    assert priorities == set(StandardPriority)


async def test_tenant_documents_with_review_fields_are_answered_by_the_executor_alike(api, scene: Scene, services):
    """The compiled reads do not know the review fields: such a document falls back, with the same answer."""
    s = await library(api, scene.practice, MFA, BACKUP)
    review = await started(api, scene.cio, scene.tenant)
    await answer(api, scene.cio, review, (s[MFA], "PARTIAL", "Admins only"), (s[BACKUP], "ALIGNED", None))
    await api.mutate(scene.cio, COMPLETE, {"id": review})
    document = f"""{{ tenants {{ edges {{ node {{ name latestReview {{ alignmentScore }}
        reviews(first: 5) {{ totalCount nodes {{ {REVIEW} }} }} risks(first: 2) {{ totalCount }} }} }} }} }}"""

    answers = await Pair(services).ask(document, {}, api.token(scene.cio))

    assert answers.equal, answers.difference()
    assert not answers.compiled
    (edge,) = answers.json()["data"]["tenants"]["edges"]
    assert edge["node"]["latestReview"] == {"alignmentScore": 75}
