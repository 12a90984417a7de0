"""Typed domain errors. Actions raise them; the API maps them to `userErrors`, the CLI to messages."""

from __future__ import annotations


class DomainError(Exception):
    code = "INVALID"

    def __init__(self, message: str, field: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    """Also what "not yours" looks like: the two are indistinguishable by design."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Limit(DomainError):
    code = "LIMIT"

    def __init__(self, message: str, field: list[str] | None = None, retry_after: int | None = None):
        super().__init__(message, field)
        self.retry_after = retry_after  # seconds; the HTTP answer becomes 429 with Retry-After


class ValidationErrors(DomainError):
    """Several field errors at once (e.g. a bulk ticket push)."""

    def __init__(self, errors: list[DomainError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class MfaRequired(DomainError):
    """The account signs in with two factors and no, or no valid, second factor came with the password."""

    code = "MFA_REQUIRED"
