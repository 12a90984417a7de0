"""PLACEHOLDER (lead writes it)."""

import strawberry


@strawberry.type
class TicketMonth:
    total: int


async def tenant_ticket_metrics(ctx, tenant_id, employees, from_, to):
    return []


@strawberry.type
class TicketMutations:
    pass
