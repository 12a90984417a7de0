"""The standards library and reviews: the writes, shared by the API, the seeds, import and tests.

A practice's library is its own copy of the built-in one (`copy_library`) plus what its admins add;
a standard is deactivated, never deleted, so the reviews that answered it stay readable. A review
is started, answered in batches and completed; completing it fixes its score and findings for good:
the next assessment is a new review. A review is locked (`FOR UPDATE`) while it is answered or
completed, so an answer sent while the review completes waits and then finds it completed, instead
of being left out of the score it was meant for. A review completed in a closed month that has a
score (a back-dated completion: seeds, imports of earlier work) marks that month and the scored ones
after it stale (`mark_scored_months_stale`).

`changesSincePrevious` is computed on read (`changes`), not stored: it only depends on the two
reviews' answers, which never change once completed, and one statement answers it for a whole page.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, Uuid, and_, cast, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import editing
from app import validation as v
from app.audit.actions import jsonable, record, snapshot
from app.auth.principal import Principal
from app.db import written
from app.errors import Conflict, DomainError, Forbidden, Invalid, Limit, NotFound, ValidationErrors
from app.guards import check_version, require_writer, visible_tenant
from app.health.formula import alignment_score
from app.health.models import HealthScore
from app.health.recompute import mark_stale
from app.months import current_month
from app.planning.models import Initiative
from app.standards import alignment
from app.standards.alignment import GAPS
from app.standards.models import (
    Alignment,
    Finding,
    Review,
    ReviewAnswer,
    ReviewStatus,
    Standard,
    StandardPriority,
)

MAX_ANSWERS = 500

# The built-in library into one practice (migration 0007's COPY_LIBRARY does it for every practice
# that existed then). A standard already copied keeps its row, edits and all. A copy's id follows
# from the practice and the entry's key, so the same practice always gets the same ids (a seed is
# reproducible to the row).
COPY_LIBRARY = text("""
    INSERT INTO standards (id, practice_id, key, section, title, question, why_it_matters, priority, version,
                           created_at, updated_at)
    SELECT CAST(md5(CAST(p.id AS text) || '/' || l.key) AS uuid), p.id, l.key, l.section, l.title, l.question,
           l.why_it_matters, l.priority, 1, p.at, p.at
    FROM (SELECT CAST(:practice_id AS uuid) AS id, coalesce(CAST(:at AS timestamptz), now()) AS at) p
    CROSS JOIN standard_library l
    ORDER BY l.section, l.key
    ON CONFLICT (practice_id, key) DO NOTHING""")


async def copy_library(session: AsyncSession, practice_id: uuid.UUID, at: dt.datetime | None = None) -> int:
    """Give the practice every built-in standard it does not have yet; returns how many were added.

    `at` is when the practice got them (now, unless a seed backdates its practice).
    """
    return (await session.execute(COPY_LIBRARY, {"practice_id": practice_id, "at": at})).rowcount


# --- the library ----------------------------------------------------------------------------


def library_order(t=Standard.__table__) -> list:
    """The library's order, by section and title (the standards table `t` or an alias): the list,
    and the answers, findings and changes of a review, read in it."""
    return [t.c.section, t.c.title, t.c.id]


CHECKS = {
    "section": lambda value: v.text(value, "section", max_length=100),
    "title": lambda value: v.text(value, "title"),
    "question": lambda value: v.text(value, "question", max_length=2000),
    "why_it_matters": lambda value: v.text(value, "whyItMatters", max_length=2000),
    "priority": lambda value: None if value is None else StandardPriority(value),
    "active": None,
}


def require_library_editor(actor: Principal) -> None:
    """Practice admins edit the library (API.md, "Who may do what"); CIOs and executives read it."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins may change the standards library.")


async def create_standard(
    session: AsyncSession,
    actor: Principal,
    *,
    section: str,
    title: str,
    question: str,
    why_it_matters: str,
    priority: StandardPriority | str,
) -> Standard:
    """A standard of the actor's practice's own (no `key`: it is not from the built-in library)."""
    require_library_editor(actor)
    fields = v.checked(Standard, CHECKS, dict(
        section=section, title=title, question=question, why_it_matters=why_it_matters, priority=priority,
    ))
    standard = Standard(practice_id=actor.practice_id, **fields)
    session.add(standard)
    await session.flush()
    await _audit_library(session, actor, "standard.create", standard, None)
    return standard


async def update_standard(
    session: AsyncSession, actor: Principal, standard_id: uuid.UUID, *, expected_version: int | None = None,
    **changes: Any,
) -> Standard:
    """Set the fields given (the names of `CHECKS`); `active=False` leaves it out of new reviews."""
    require_library_editor(actor)
    standard = await session.get(Standard, standard_id)
    if standard is None or standard.practice_id != actor.practice_id:
        raise NotFound("Standard not found.", ["id"])
    check_version(standard, expected_version)
    clean = v.checked(Standard, CHECKS, changes)
    before = snapshot(standard)
    for name, value in clean.items():
        setattr(standard, name, value)
    await session.flush()
    await _audit_library(session, actor, "standard.update", standard, before)
    return standard


async def _audit_library(session: AsyncSession, actor: Principal, action: str, standard: Standard, before) -> None:
    """The library is above tenancy: the change is in the history of every tenant of the practice."""
    await record(session, actor, actor.tenant_ids, action, "Standard", standard.id, before, snapshot(standard))


# --- reviews --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    standard_id: uuid.UUID
    alignment: Alignment | str
    note: str | None = None


async def start_review(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, *, started_at: dt.datetime | None = None
) -> Review:
    """A new IN_PROGRESS review; CONFLICT while another is in progress (the unique index decides races)."""
    await visible_tenant(session, actor, tenant_id)
    require_writer(actor)
    open_review = await session.scalar(
        select(Review.id).where(Review.tenant_id == tenant_id, Review.status == ReviewStatus.IN_PROGRESS)
    )
    if open_review is not None:
        raise Conflict("This client already has a review in progress: complete it first.", ["tenantId"])
    review = Review(
        status=ReviewStatus.IN_PROGRESS, started_at=started_at or dt.datetime.now(dt.UTC),
        started_by=actor.id if actor.kind == "user" else None,
    )
    return await editing.create(session, actor, tenant_id, review)


async def open_review(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, review_id: uuid.UUID, field: str
) -> Review:
    """The review, locked, for a writer; INVALID once completed (a completed review is never edited).

    `field` is the input field that named the review, for the user error.
    """
    review = await editing.load(session, actor, Review, tenant_id, review_id, field)
    require_writer(actor)
    await session.refresh(review, with_for_update=True)
    if review.status is ReviewStatus.COMPLETED:
        raise Invalid("This review is completed and can no longer change; start a new review.", [field])
    return review


async def answer_standards(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, review_id: uuid.UUID, answers: Sequence[AnswerInput]
) -> Review:
    """Store the answers (a later answer to a standard replaces the earlier one, in the call too).

    Every standard must be an active one of the tenant's practice's library: anything else is
    NOT_FOUND on `["answers", i, "standardId"]` and nothing of the call is stored.
    """
    review = await open_review(session, actor, tenant_id, review_id, "reviewId")
    if len(answers) > MAX_ANSWERS:
        raise Limit(f"At most {MAX_ANSWERS} answers per call; send them in batches.", ["answers"])
    tenant = await visible_tenant(session, actor, tenant_id)
    wanted = {a.standard_id for a in answers}
    usable = set(await session.scalars(select(Standard.id).where(
        Standard.id.in_(wanted), Standard.practice_id == tenant.practice_id, Standard.active,
    ))) if wanted else set()
    chosen: dict[uuid.UUID, dict] = {}
    errors: list[DomainError] = []
    for index, answer in enumerate(answers):
        path = ["answers", str(index)]
        if answer.standard_id not in usable:
            errors.append(NotFound("Standard not found in the practice's active library.", [*path, "standardId"]))
            continue
        try:
            note = v.text(answer.note, "note", max_length=5000, required=False)
        except Invalid as error:
            errors.append(Invalid(error.message, [*path, "note"]))
            continue
        chosen[answer.standard_id] = {"standard_id": answer.standard_id, "alignment": Alignment(answer.alignment), "note": note}
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    if not chosen:
        raise Invalid("Send at least one answer.", ["answers"])
    earlier = await session.execute(
        select(ReviewAnswer.standard_id, ReviewAnswer.alignment, ReviewAnswer.note).where(
            ReviewAnswer.tenant_id == tenant_id, ReviewAnswer.review_id == review_id,
            ReviewAnswer.standard_id.in_(chosen),
        )
    )
    statement = insert(ReviewAnswer).values(
        [{"tenant_id": tenant_id, "review_id": review_id, **row} for row in chosen.values()]
    )
    await session.execute(statement.on_conflict_do_update(
        index_elements=[ReviewAnswer.tenant_id, ReviewAnswer.review_id, ReviewAnswer.standard_id],
        # excluded.updated_at: its default, now() (Citus refuses a function here)
        set_={"alignment": statement.excluded.alignment, "note": statement.excluded.note,
              "updated_at": statement.excluded.updated_at},
    ))
    review.updated_at = func.now()  # the review changed: its version moves
    await session.flush()
    await record(
        session, actor, tenant_id, "review.answer", "Review", review_id,
        {"answers": [_answer_json(*row) for row in earlier.all()]},
        {"answers": [_answer_json(**row) for row in chosen.values()]},
    )
    return review


def _answer_json(standard_id, alignment, note) -> dict:
    return {"standard_id": str(standard_id), "alignment": Alignment(alignment).value, "note": note}


def answer_sums(tenant_id: uuid.UUID, review_id: uuid.UUID):
    """The review's `sum(w)` and `sum(w * v)` in halves (app/standards/alignment.py); no row when nothing is answered."""
    a, s = ReviewAnswer.__table__.c, Standard.__table__.c
    return (
        select(
            func.sum(alignment.weight(s.priority, a.alignment)).label("possible"),
            func.sum(alignment.earned_halves(s.priority, a.alignment)).label("halves"),
        )
        .select_from(ReviewAnswer.__table__.join(Standard.__table__, s.id == a.standard_id))
        .where(a.tenant_id == tenant_id, a.review_id == review_id)
        .group_by(a.tenant_id, a.review_id)
    )


async def complete_review(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, review_id: uuid.UUID,
    *, completed_at: dt.datetime | None = None,
) -> Review:
    """Fix the review's score and findings; INVALID when nothing is answered.

    `alignmentScore` is null when every answer is NOT_APPLICABLE (nothing to score).
    """
    review = await open_review(session, actor, tenant_id, review_id, "id")
    sums = (await session.execute(answer_sums(tenant_id, review_id))).first()
    if sums is None:
        raise Invalid("Answer at least one standard before completing the review.", ["id"])
    before = snapshot(review)
    answers = ReviewAnswer.__table__.c
    await session.execute(insert(Finding).from_select(
        ["tenant_id", "id", "review_id", "standard_id", "alignment", "note"],
        # The finding's id is derived from its review and standard (one finding each): a volatile
        # id (gen_random_uuid) makes Citus collect the rows on the coordinator and COPY them in,
        # which row security refuses.
        select(answers.tenant_id, cast(func.md5(cast(answers.review_id, Text) + "/" + cast(answers.standard_id, Text)), Uuid),
               answers.review_id, answers.standard_id, answers.alignment, answers.note)
        .where(answers.tenant_id == tenant_id, answers.review_id == review_id,
               answers.alignment.in_([g.value for g in GAPS]))
        .order_by(answers.standard_id),
    ), execution_options=written.declare([tenant_id]))
    review.status = ReviewStatus.COMPLETED
    review.completed_at = completed_at or dt.datetime.now(dt.UTC)
    review.alignment_score = alignment_score(int(sums.halves), int(sums.possible))
    await session.flush()
    await mark_scored_months_stale(session, tenant_id, review.completed_at)
    await record(session, actor, tenant_id, "review.complete", "Review", review_id, before, snapshot(review))
    return review


async def mark_scored_months_stale(session: AsyncSession, tenant_id: uuid.UUID, completed_at: dt.datetime) -> None:
    """A review completed in a closed month changes the alignment input of that month and of every
    scored month after it (the score reads the latest review completed by the month's end)."""
    month = completed_at.astimezone(dt.UTC).date().replace(day=1)
    if month >= current_month():
        return
    scored = await session.scalars(
        select(HealthScore.month).where(
            HealthScore.tenant_id == tenant_id, HealthScore.month >= month, HealthScore.month < current_month(),
        ).order_by(HealthScore.month)
    )
    for scored_month in scored.all():
        await mark_stale(session, tenant_id, scored_month)


async def link_finding(
    session: AsyncSession, actor: Principal, tenant_id: uuid.UUID, finding_id: uuid.UUID,
    initiative_id: uuid.UUID | None,
) -> Finding:
    """The initiative of the same tenant that closes the gap; None unlinks."""
    await editing.load(session, actor, Finding, tenant_id, finding_id, "findingId")
    require_writer(actor)
    if initiative_id is not None and await session.get(Initiative, (tenant_id, initiative_id)) is None:
        raise NotFound("Initiative not found.", ["initiativeId"])
    finding, _ = await editing.update(session, actor, Finding, tenant_id, finding_id, {"initiative_id": initiative_id})
    return finding


# --- changes since the previous review ------------------------------------------------------


def changes(keys: Sequence[tuple[uuid.UUID, uuid.UUID]]):
    """For each review (tenant_id, id) of `keys`: every answer that differs from the tenant's previous
    COMPLETED review (completed before this one; for a review in progress, the latest), with the
    earlier answer as `before` (null when that review did not answer the standard). A tenant's
    first review has no previous one, and so no changes.

    One statement for any number of reviews; rows come ordered by review, then the standard's
    place in the library.
    """
    r = Review.__table__.alias("r")
    p = Review.__table__.alias("p")
    now = ReviewAnswer.__table__.alias("now")
    then = ReviewAnswer.__table__.alias("then")
    s = Standard.__table__
    previous = (
        select(p.c.id)
        .where(
            p.c.tenant_id == r.c.tenant_id, p.c.status == ReviewStatus.COMPLETED.value, p.c.id != r.c.id,
            or_(r.c.completed_at.is_(None),
                tuple_(p.c.completed_at, p.c.id) < tuple_(r.c.completed_at, r.c.id)),
        )
        .order_by(p.c.completed_at.desc(), p.c.id.desc())
        .limit(1)
        .correlate(r)
        .scalar_subquery()
    )
    paired = (
        select(r.c.tenant_id, r.c.id.label("review_id"), previous.label("previous_id"))
        .where(tuple_(r.c.tenant_id, r.c.id).in_(list(keys)))
        .subquery("paired")
    )
    return (
        select(paired.c.tenant_id, paired.c.review_id, now.c.standard_id, then.c.alignment.label("before"),
               now.c.alignment.label("after"))
        .select_from(
            paired.join(now, and_(now.c.tenant_id == paired.c.tenant_id, now.c.review_id == paired.c.review_id))
            .join(s, s.c.id == now.c.standard_id)
            .outerjoin(then, and_(then.c.tenant_id == paired.c.tenant_id, then.c.review_id == paired.c.previous_id,
                                  then.c.standard_id == now.c.standard_id))
        )
        .where(paired.c.previous_id.is_not(None), then.c.alignment.is_distinct_from(now.c.alignment))
        .order_by(paired.c.tenant_id, paired.c.review_id, *library_order(s))
    )


class ChangeKind(enum.StrEnum):
    NEW = "NEW"  # not answered in the previous review
    IMPROVED = "IMPROVED"
    REGRESSED = "REGRESSED"
    APPLICABILITY = "APPLICABILITY"  # became, or stopped being, NOT_APPLICABLE


def change_kind(before: Alignment | str | None, after: Alignment | str) -> ChangeKind:
    """How an answer moved, by the points the formula gives it (app/standards/alignment.py)."""
    if before is None:
        return ChangeKind.NEW
    earlier, now = alignment.HALVES.get(Alignment(before)), alignment.HALVES.get(Alignment(after))
    if earlier is None or now is None:
        return ChangeKind.APPLICABILITY
    return ChangeKind.IMPROVED if now > earlier else ChangeKind.REGRESSED


# --- export and import ----------------------------------------------------------------------

# The tenant tables that name a standard: the library is the practice's, so an export carries the
# standards they name beside its tables, and an import finds them again in the importing practice.
NAMING_STANDARDS = ("review_answers", "findings")
CARRIED = ("id", "key", "section", "title", "question", "why_it_matters", "priority", "active")


async def exported_standards(session: AsyncSession, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The standards the tenant's answers and findings name, as an export carries them."""
    named = (select(ReviewAnswer.standard_id).where(ReviewAnswer.tenant_id == tenant_id)
             .union(select(Finding.standard_id).where(Finding.tenant_id == tenant_id)))
    rows = await session.execute(
        select(*(getattr(Standard, c) for c in CARRIED)).where(Standard.id.in_(named)).order_by(Standard.id)
    )
    return [{c: jsonable(getattr(r, c)) for c in CARRIED} for r in rows]


async def imported_standards(
    session: AsyncSession, practice_id: uuid.UUID, standards: Sequence[dict[str, Any]], tables: dict[str, list[dict]],
) -> dict[str, list[dict]]:
    """`tables` with every standard id replaced by the importing practice's own standard.

    A built-in standard is found by its key; any other by its id when the practice has it (the
    export came from this practice). A standard the practice lacks (its own standard from another
    practice, or a built-in entry this database does not hold) joins its library INACTIVE: the
    imported reviews read as they were, and new reviews leave it out until an admin activates it.
    """
    mapping: dict[str, str] = {}
    for carried in standards:
        found = None
        if carried.get("key"):
            found = await session.scalar(select(Standard.id).where(
                Standard.practice_id == practice_id, Standard.key == carried["key"]))
        if found is None:
            found = await session.scalar(select(Standard.id).where(
                Standard.practice_id == practice_id, Standard.id == uuid.UUID(carried["id"])))
        if found is None:
            fields = {c: carried[c] for c in CARRIED if c not in ("id", "active")}
            standard = Standard(practice_id=practice_id, active=False, **fields)
            session.add(standard)
            await session.flush()
            found = standard.id
        mapping[str(carried["id"])] = str(found)
    return {
        table: [{**row, "standard_id": mapping.get(str(row["standard_id"]), row["standard_id"])} for row in rows]
        if table in NAMING_STANDARDS else rows
        for table, rows in tables.items()
    }
