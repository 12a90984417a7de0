"""The root schema: Query and Mutation compose each area's classes. Adding an area is one line here."""

from __future__ import annotations

import strawberry
from strawberry.extensions import DisableIntrospection, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from app.api.audit import AuditQueries
from app.api.budgets import BudgetMutations
from app.api.health import HealthMutations, HealthQueries
from app.api.integrations import IntegrationMutations, IntegrationQueries
from app.api.planning import PlanningMutations
from app.api.policies import PolicyMutations
from app.api.risks import RiskMutations
from app.api.scalars import SCALAR_MAP
from app.api.steering import SteeringMutations
from app.api.tenants import TenantMutations, TenantQueries
from app.api.tickets import TicketMutations
from app.api.vendors import VendorMutations


@strawberry.type
class Query(TenantQueries, HealthQueries, AuditQueries, IntegrationQueries):
    pass


@strawberry.type
class Mutation(
    TenantMutations, RiskMutations, PlanningMutations, BudgetMutations, TicketMutations, PolicyMutations,
    VendorMutations, SteeringMutations, HealthMutations, IntegrationMutations,
):
    pass


# Limits from the OWASP GraphQL cheat sheet, passed as classes: one instance per request.
class DepthLimit(QueryDepthLimiter):
    def __init__(self):
        super().__init__(max_depth=12)


class AliasLimit(MaxAliasesLimiter):
    def __init__(self):
        super().__init__(max_alias_count=30)


class TokenLimit(MaxTokensLimiter):
    def __init__(self):
        super().__init__(max_token_count=5000)


def build_schema(production: bool) -> strawberry.Schema:
    extensions = [TokenLimit, DepthLimit, AliasLimit]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production, scalar_map=SCALAR_MAP),
    )
