"""PLACEHOLDER (lead writes it)."""

import strawberry


@strawberry.type
class IntegrationQueries:
    pass


@strawberry.type
class IntegrationMutations:
    pass
