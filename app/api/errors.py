"""Errors the client sees: `UserError` entries for what the user can fix, coded GraphQL errors else."""

from __future__ import annotations

import strawberry

from app.errors import DomainError, ValidationErrors


@strawberry.type
class UserError:
    field: list[str] | None
    code: str
    message: str


def user_errors(error: DomainError) -> list[UserError]:
    errors = error.errors if isinstance(error, ValidationErrors) else [error]
    return [UserError(field=e.field, code=e.code, message=e.message) for e in errors]
