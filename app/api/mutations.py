"""Running a mutation's action: a savepoint, typed domain errors turned into `userErrors`."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.api.context import Context
from app.api.errors import UserError, user_errors
from app.api.permissions import object_key
from app.db.errors import sqlstate
from app.errors import Conflict, DomainError, Forbidden, Invalid, Limit

UPDATE_INPUT = "Fields left out keep their value; null clears an optional field (a required one is INVALID)."


def given(input: Any, **convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The `strawberry.Maybe` fields the client sent in an update input, by attribute name, unwrapped.

    The one reading of "absent is not null" (STYLE.md 12): a field left out is not in the dict, so
    the action leaves it as it is; a field sent as null is there as None, so the action clears it
    (or answers INVALID for a required one). `convert` maps a field's non-null value (an enum, an id).
    """
    changes = {}
    for field in dataclasses.fields(input):
        value = getattr(input, field.name)
        if isinstance(value, strawberry.Some):
            value = value.value
            changes[field.name] = convert[field.name](value) if field.name in convert and value is not None else value
    return changes


async def perform(
    ctx: Context, work: Callable[[Any], Awaitable[Any]], *, anonymous: bool = False
) -> tuple[Any, list[UserError]]:
    """Run `work(session)`; return (result, []) or (None, userErrors). Nothing of a failed action stays.

    FORBIDDEN is not a user error: it propagates as a GraphQL error (API.md, "Auth failures").
    Only the signed-out flows run `anonymous` (`login`, `acceptInvitation`, `requestPasswordReset`,
    `resetPassword`); everything else answers UNAUTHENTICATED without a token.
    """
    if not anonymous:
        ctx.viewer  # noqa: B018 -- raises Unauthenticated
    try:
        return await ctx.db.run(work), []
    except Forbidden:
        raise
    except DomainError as error:
        if isinstance(error, Limit) and error.retry_after:
            ctx.retry_after = error.retry_after
        return None, user_errors(error)
    except StaleDataError:
        return None, user_errors(Conflict("This object was changed concurrently. Reload it and try again."))
    except IntegrityError as error:
        return None, user_errors(integrity_error(error))


def integrity_error(error: IntegrityError) -> DomainError:
    """A constraint the actions did not pre-check (a race, usually): a clear error, not a 500."""
    if sqlstate(error) == "23505":
        return Conflict("This already exists (it may have been created concurrently).")
    return Invalid("The change breaks a data rule: " + str(error.orig).splitlines()[0][:200])


@strawberry.input
class DeleteInput:
    id: strawberry.ID


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


async def delete_object(ctx: Context, global_id: str, type_name: str, action) -> DeletePayload:
    """Every area's delete mutation: decode, check the tenant, run the action, answer the id."""

    async def work(session):
        key = object_key(ctx, global_id, type_name)
        return await action(session, ctx.viewer, key.tenant_id, key.id)

    deleted, errors = await perform(ctx, work)
    return DeletePayload(deleted_id=global_id if deleted else None, user_errors=errors)
