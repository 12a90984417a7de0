"""PLACEHOLDER (lead writes it)."""

import strawberry


@strawberry.type
class HealthScore:
    score: int


async def tenant_health(ctx, tenant_id, month):
    return None


async def tenant_health_history(ctx, tenant_id, from_, to):
    return []


@strawberry.type
class HealthQueries:
    pass


@strawberry.type
class HealthMutations:
    pass
