"""PLACEHOLDER (lead writes it)."""

import strawberry


@strawberry.type
class AuditQueries:
    pass
