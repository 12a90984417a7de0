"""Standards and reviews: `Standard`, `Review`, `Finding`, `Query.standards`, `Tenant.reviews`, and the
library and review mutations.

Who reads what (API.md, "Who may do what"): practice admins and CIOs read their practice's library
(`Query.standards`, `node(id:)` of a Standard); client executives read standards only as their
tenant's reviews show them (`Query.standards` is FORBIDDEN to them, `node(id:)` of a Standard is
null). Reviews and findings are for signed-in users: an API key (ticket and asset data only) is
FORBIDDEN on `Tenant.reviews`, `Tenant.latestReview` and `Initiative.findings`, and `node(id:)`
gives it null. A standard of another practice does not exist for anyone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on

from app.api import ids
from app.api.context import Context, Info
from app.api.errors import UserError
from app.api.integrations import IdInput
from app.api.lists import Listing, child_connection, row_by_key, rows_by_parent
from app.api.mutations import UPDATE_INPUT, given, perform
from app.api.node import Node, from_row, resolve_node, resolves
from app.api.pagination import Connection
from app.api.permissions import (
    NO_ID,
    id_in_tenant,
    object_key,
    require_admin,
    require_staff,
    staff,
    tenant_key,
)
from app.errors import Forbidden, NotFound
from app.standards import actions
from app.standards import models as m

StandardPriority = strawberry.enum(m.StandardPriority, name="StandardPriority", description="Weights 5 / 3 / 1.")
Alignment = strawberry.enum(m.Alignment, name="Alignment")
ReviewStatus = strawberry.enum(m.ReviewStatus, name="ReviewStatus")
AlignmentChangeKind = strawberry.enum(actions.ChangeKind, name="AlignmentChangeKind")

STANDARDS = m.Standard.__table__
REVIEWS = m.Review.__table__
ANSWERS = m.ReviewAnswer.__table__
FINDINGS = m.Finding.__table__
LIBRARY_ORDER = actions.library_order(STANDARDS)

def require_user(ctx: Context) -> None:
    """Reviews and findings are read by people, not API keys: signed-in users, and the executive
    report's other readers (a mailed link's, the CLI's system principal; app/reports/links.py)."""
    if ctx.viewer.kind == "api_key":
        raise Forbidden("This operation needs a signed-in user, not an API key.")


# --- the library ----------------------------------------------------------------------------


@strawberry.type(description="The practice's library; every new practice starts with the built-in library (at least 40 standards).")
class Standard(Node):
    id: strawberry.ID
    version: int
    section: str
    title: str
    question: str = strawberry.field(description="Asked about one client, answered aligned / partly / not.")
    why_it_matters: str = strawberry.field(description="The business consequence, in an executive's words.")
    priority: StandardPriority
    active: bool = strawberry.field(description="Inactive standards are left out of new reviews; old reviews keep them.")


def standard_node(row) -> Standard:
    return from_row(Standard, row, id=ids.encode("Standard", row.id))


def of_practice(t, practice_id: uuid.UUID) -> list:
    """A standard of another practice does not exist for anyone (the standards table `t` or an alias)."""
    return [t.c.practice_id == practice_id]


async def standard_by_id(ctx: Context, standard_id: uuid.UUID) -> Standard | None:
    """`StandardByIdLoader`: only standards of the viewer's practice load."""
    practice_id = ctx.viewer.practice_id

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(select(STANDARDS).where(STANDARDS.c.id.in_(keys), *of_practice(STANDARDS, practice_id)))
        found = {r.id: standard_node(r) for r in rows}
        return [found.get(k) for k in keys]

    return await ctx.loader("StandardById", batch).load(standard_id)


@resolves("Standard")
async def _standard_by_key(ctx: Context, key: ids.Key) -> Standard | None:
    return await standard_by_id(ctx, key.id) if staff(ctx.viewer) else None


@strawberry.type
class StandardConnection(Connection[Standard]):
    pass


# --- reviews --------------------------------------------------------------------------------


@strawberry.type
class ReviewAnswer:
    alignment: Alignment
    note: str | None
    standard_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def standard(self, info: Info) -> Standard:
        return await standard_by_id(info.context, self.standard_id)


@strawberry.type
class AlignmentChange:
    before: Alignment | None = strawberry.field(description="Null when the previous review did not answer it.")
    after: Alignment
    kind: AlignmentChangeKind
    standard_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def standard(self, info: Info) -> Standard:
        return await standard_by_id(info.context, self.standard_id)


@strawberry.type
class Finding(Node):
    id: strawberry.ID
    alignment: Alignment
    note: str | None
    tenant_id: strawberry.Private[uuid.UUID]
    standard_id: strawberry.Private[uuid.UUID]
    initiative_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def standard(self, info: Info) -> Standard:
        return await standard_by_id(info.context, self.standard_id)

    @strawberry.field(description="The initiative that closes the gap.")
    async def initiative(self, info: Info) -> Annotated[Initiative, strawberry.lazy("app.api.planning")] | None:  # noqa: F821 -- lazy: resolved by strawberry
        # Through the node registry: app/api/planning.py shows an initiative's findings, so this
        # module may not import it back (tests/api/test_imports.py).
        if self.initiative_id is None:
            return None
        return await resolve_node(info.context, ids.encode("Initiative", self.initiative_id, self.tenant_id))


def finding_node(row) -> Finding:
    return from_row(Finding, row, id=ids.encode("Finding", row.id, row.tenant_id))


async def users_row(ctx: Context, model, key: ids.Key):
    """The row `key` names, for whoever `require_user` lets read; API keys see no reviews or findings (None, as missing)."""
    return await row_by_key(ctx, model, key.tenant_id, key.id) if ctx.viewer.kind != "api_key" else None


@resolves("Finding")
async def _finding_by_key(ctx: Context, key: ids.Key) -> Finding | None:
    row = await users_row(ctx, m.Finding, key)
    return finding_node(row) if row else None


@strawberry.type
class Review(Node):
    id: strawberry.ID
    version: int
    status: ReviewStatus
    started_at: dt.datetime
    completed_at: dt.datetime | None
    alignment_score: int | None = strawberry.field(
        description="0..100 once COMPLETED (formula v2, without the staleness deduction); null when nothing applies."
    )
    tenant_id: strawberry.Private[uuid.UUID]
    review_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Standards answered so far.")
    async def answered(self, info: Info) -> int:
        return len(await review_answers(info.context, self.tenant_id, self.review_id))

    @strawberry.field(description="Answers other than NOT_APPLICABLE.")
    async def applicable(self, info: Info) -> int:
        rows = await review_answers(info.context, self.tenant_id, self.review_id)
        return sum(r.alignment != m.Alignment.NOT_APPLICABLE for r in rows)

    @strawberry.field(description="In the library's order.")
    async def answers(self, info: Info) -> list[ReviewAnswer]:
        rows = await review_answers(info.context, self.tenant_id, self.review_id)
        return [from_row(ReviewAnswer, r) for r in rows]

    @strawberry.field(description="One per PARTIAL or NOT_ALIGNED answer, made when the review completes.")
    async def findings(self, info: Info) -> list[Finding]:
        rows = await rows_by_parent(
            info.context, "FindingsByReview", (self.tenant_id, self.review_id),
            lambda keys: findings_query(tuple_(FINDINGS.c.tenant_id, FINDINGS.c.review_id).in_(keys)),
            lambda row: (row.tenant_id, row.review_id),
        )
        return [finding_node(r) for r in rows]

    @strawberry.field(description="Answers that differ from the tenant's previous COMPLETED review; empty for its first.")
    async def changes_since_previous(self, info: Info) -> list[AlignmentChange]:
        ctx = info.context

        async def batch(keys: list) -> list:
            grouped: dict = {k: [] for k in keys}
            for r in await ctx.db.rows(actions.changes(keys)):
                grouped[(r.tenant_id, r.review_id)].append(AlignmentChange(
                    before=r.before, after=r.after, kind=actions.change_kind(r.before, r.after), standard_id=r.standard_id,
                ))
            return [grouped[k] for k in keys]

        return await ctx.loader("ChangesByReview", batch).load((self.tenant_id, self.review_id))


def review_node(row) -> Review:
    return from_row(Review, row, id=ids.encode("Review", row.id, row.tenant_id), review_id=row.id)


def findings_query(where):
    return (select(FINDINGS).join(STANDARDS, STANDARDS.c.id == FINDINGS.c.standard_id).where(where)
            .order_by(*FINDINGS_ORDER))


async def review_answers(ctx: Context, tenant_id: uuid.UUID, review_id: uuid.UUID) -> list:
    """`AnswersByReviewLoader`: a review's answers, in the library's order."""
    return await rows_by_parent(
        ctx, "AnswersByReview", (tenant_id, review_id),
        lambda keys: select(ANSWERS).join(STANDARDS, STANDARDS.c.id == ANSWERS.c.standard_id)
        .where(tuple_(ANSWERS.c.tenant_id, ANSWERS.c.review_id).in_(keys))
        .order_by(ANSWERS.c.tenant_id, ANSWERS.c.review_id, *LIBRARY_ORDER),
        lambda row: (row.tenant_id, row.review_id),
    )


@resolves("Review")
async def _review_by_key(ctx: Context, key: ids.Key) -> Review | None:
    row = await users_row(ctx, m.Review, key)
    return review_node(row) if row else None


@strawberry.type
class ReviewConnection(Connection[Review]):
    pass


def review_order(t) -> list:
    """`Tenant.reviews`, newest first, on the reviews table `t` or an alias."""
    return [t.c.started_at.desc(), t.c.id.desc()]


def review_list(t) -> Listing:
    """`Tenant.reviews`: every review of the tenant, newest first: both read paths."""
    return Listing([], review_order(t), ())


async def tenant_reviews(ctx: Context, tenant_id: uuid.UUID, first: int | None, after: str | None) -> ReviewConnection:
    require_user(ctx)
    listing = review_list(REVIEWS)
    return await child_connection(
        ctx, name="reviews", parent_id=tenant_id, first=first, after=after, filters=listing.key,
        make_query=lambda tenant_ids: select(REVIEWS).where(REVIEWS.c.tenant_id.in_(tenant_ids), *listing.where),
        parent_column=REVIEWS.c.tenant_id, order_by=listing.order, make_node=review_node,
        connection=ReviewConnection,
    )


def latest_completed(columns, tenants: Callable[[Any], Any]):
    """The latest COMPLETED review of each tenant that `tenants(tenant_id column)` selects, as `columns` of it."""
    return (select(*columns).ext(distinct_on(REVIEWS.c.tenant_id))
            .where(tenants(REVIEWS.c.tenant_id), REVIEWS.c.status == m.ReviewStatus.COMPLETED)
            .order_by(REVIEWS.c.tenant_id, REVIEWS.c.completed_at.desc(), REVIEWS.c.id.desc()))


FINDINGS_ORDER = [FINDINGS.c.tenant_id, *LIBRARY_ORDER]


def open_findings(tenants: Callable[[Any], Any]):
    """The findings of each tenant's latest completed review (`latest_completed`) that no initiative
    closes yet, in the library's order, with their standard's title (`standard_title`). The
    findings are chosen by `tenants` too, not only through their review: Citus routes a read by the
    tenant condition on each of its tables."""
    latest = latest_completed([REVIEWS.c.tenant_id, REVIEWS.c.id], tenants).subquery()
    return (findings_query(tuple_(FINDINGS.c.tenant_id, FINDINGS.c.review_id).in_(select(latest.c.tenant_id, latest.c.id)))
            .where(tenants(FINDINGS.c.tenant_id), FINDINGS.c.initiative_id.is_(None))
            .add_columns(STANDARDS.c.title.label("standard_title")))


async def latest_review(ctx: Context, tenant_id: uuid.UUID) -> Review | None:
    """`LatestReviewByTenantLoader`: the latest COMPLETED review of each tenant."""
    require_user(ctx)

    async def batch(keys: list) -> list:
        rows = await ctx.db.rows(latest_completed(REVIEWS.c, lambda column: column.in_(keys)))
        found = {r.tenant_id: review_node(r) for r in rows}
        return [found.get(k) for k in keys]

    return await ctx.loader("LatestReviewByTenant", batch).load(tenant_id)


async def initiative_findings(ctx: Context, tenant_id: uuid.UUID, initiative_id: uuid.UUID) -> list[Finding]:
    """`FindingsByInitiativeLoader`: the findings an initiative closes, in the library's order."""
    require_user(ctx)
    rows = await rows_by_parent(
        ctx, "FindingsByInitiative", (tenant_id, initiative_id),
        lambda keys: findings_query(tuple_(FINDINGS.c.tenant_id, FINDINGS.c.initiative_id).in_(keys)),
        lambda row: (row.tenant_id, row.initiative_id),
    )
    return [finding_node(r) for r in rows]


@strawberry.type
class StandardQueries:
    @strawberry.field(description="The viewer's practice's library by section and title, inactive standards included. Admins and CIOs.")
    async def standards(
        self, info: Info, first: int | None = None, after: str | None = None, section: str | None = None
    ) -> StandardConnection:
        ctx = info.context
        require_staff(ctx)
        where = [STANDARDS.c.practice_id == ctx.viewer.practice_id]
        if section is not None:
            where.append(STANDARDS.c.section == section)
        return await child_connection(
            ctx, name="standards", parent_id=ctx.viewer.practice_id, first=first, after=after, filters=(section,),
            make_query=lambda _parents: select(STANDARDS).where(*where), parent_column=STANDARDS.c.practice_id,
            order_by=LIBRARY_ORDER, make_node=standard_node, connection=StandardConnection,
        )


# --- mutations ------------------------------------------------------------------------------


@strawberry.input
class CreateStandardInput:
    section: str
    title: str
    question: str
    why_it_matters: str
    priority: StandardPriority


@strawberry.input(description=UPDATE_INPUT)
class UpdateStandardInput:
    id: strawberry.ID
    expected_version: int | None = None
    section: strawberry.Maybe[str | None]
    title: strawberry.Maybe[str | None]
    question: strawberry.Maybe[str | None]
    why_it_matters: strawberry.Maybe[str | None]
    priority: strawberry.Maybe[StandardPriority | None]
    active: strawberry.Maybe[bool | None] = strawberry.field(description="false: left out of new reviews.")


@strawberry.type
class StandardPayload:
    standard: Standard | None
    user_errors: list[UserError]


@strawberry.input
class StartReviewInput:
    tenant_id: strawberry.ID


@strawberry.input
class StandardAnswerInput:
    standard_id: strawberry.ID
    alignment: Alignment
    note: str | None = None


@strawberry.input
class AnswerStandardsInput:
    review_id: strawberry.ID
    answers: list[StandardAnswerInput] = strawberry.field(description=f"At most {actions.MAX_ANSWERS}.")


@strawberry.type
class ReviewPayload:
    review: Review | None
    user_errors: list[UserError]


@strawberry.input
class LinkFindingInput:
    finding_id: strawberry.ID
    initiative_id: strawberry.ID | None = strawberry.field(default=None, description="null unlinks.")


@strawberry.type
class FindingPayload:
    finding: Finding | None
    user_errors: list[UserError]


def standard_key(global_id: str) -> uuid.UUID:
    key = ids.decode_as(global_id, "Standard")
    if key is None:
        raise NotFound("Standard not found.", ["id"])
    return key.id


@strawberry.type
class StandardMutations:
    @strawberry.mutation(description="Practice admins.")
    async def create_standard(self, info: Info, input: CreateStandardInput) -> StandardPayload:
        ctx = info.context
        require_admin(ctx)
        standard, errors = await perform(ctx, lambda s: actions.create_standard(
            s, ctx.viewer, section=input.section, title=input.title, question=input.question,
            why_it_matters=input.why_it_matters, priority=m.StandardPriority(input.priority.value),
        ))
        return StandardPayload(standard=standard_node(standard) if standard else None, user_errors=errors)

    @strawberry.mutation(description="Practice admins.")
    async def update_standard(self, info: Info, input: UpdateStandardInput) -> StandardPayload:
        ctx = info.context
        require_admin(ctx)
        standard, errors = await perform(ctx, lambda s: actions.update_standard(
            s, ctx.viewer, standard_key(input.id), expected_version=input.expected_version,
            **given(input, priority=lambda p: m.StandardPriority(p.value)),
        ))
        return StandardPayload(standard=standard_node(standard) if standard else None, user_errors=errors)

    @strawberry.mutation(description="One IN_PROGRESS review per tenant.")
    async def start_review(self, info: Info, input: StartReviewInput) -> ReviewPayload:
        ctx = info.context
        review, errors = await perform(ctx, lambda s: actions.start_review(s, ctx.viewer, tenant_key(ctx, input.tenant_id)))
        return ReviewPayload(review=review_node(review) if review else None, user_errors=errors)

    @strawberry.mutation(description=f"Up to {actions.MAX_ANSWERS}; an answer replaces the earlier one.")
    async def answer_standards(self, info: Info, input: AnswerStandardsInput) -> ReviewPayload:
        ctx = info.context
        answers = []
        for a in input.answers[: actions.MAX_ANSWERS + 1]:
            key = ids.decode_as(a.standard_id, "Standard")
            answers.append(actions.AnswerInput(key.id if key else NO_ID, m.Alignment(a.alignment.value), a.note))

        async def work(session):
            key = object_key(ctx, input.review_id, "Review", "reviewId")
            return await actions.answer_standards(session, ctx.viewer, key.tenant_id, key.id, answers)

        review, errors = await perform(ctx, work)
        return ReviewPayload(review=review_node(review) if review else None, user_errors=errors)

    @strawberry.mutation(
        description="Sets alignmentScore, makes a Finding of each PARTIAL and NOT_ALIGNED answer, rescores a closed month it changes."
    )
    async def complete_review(self, info: Info, input: IdInput) -> ReviewPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.id, "Review")
            return await actions.complete_review(session, ctx.viewer, key.tenant_id, key.id)

        review, errors = await perform(ctx, work)
        return ReviewPayload(review=review_node(review) if review else None, user_errors=errors)

    @strawberry.mutation(description="The initiative (of the same tenant) that closes the gap; null unlinks.")
    async def link_finding(self, info: Info, input: LinkFindingInput) -> FindingPayload:
        ctx = info.context

        async def work(session):
            key = object_key(ctx, input.finding_id, "Finding", "findingId")
            initiative = None
            if input.initiative_id is not None:  # another tenant's initiative is one that does not exist
                initiative = id_in_tenant(input.initiative_id, "Initiative", key.tenant_id)
            return await actions.link_finding(session, ctx.viewer, key.tenant_id, key.id, initiative)

        finding, errors = await perform(ctx, work)
        return FindingPayload(finding=finding_node(finding) if finding else None, user_errors=errors)
