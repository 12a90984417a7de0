"""The root schema: Query and Mutation compose each area's classes. Adding an area is one line here."""

from __future__ import annotations

from collections import OrderedDict

import strawberry
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import DisableIntrospection, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from app.api.accounts import AccountMutations
from app.api.audit import AuditQueries
from app.api.budgets import BudgetMutations
from app.api.calendar import CalendarMutations, CalendarQueries
from app.api.decisions import DecisionMutations
from app.api.deliveries import DeliveryMutations, DeliveryQueries
from app.api.goals import GoalMutations, StrategyMutations
from app.api.health import HealthMutations, HealthQueries
from app.api.inputs import plan_inputs
from app.api.integrations import IntegrationMutations, IntegrationQueries
from app.api.lifecycle import LifecycleMutations
from app.api.limits import MAX_ALIASES, MAX_TOKENS, REMEMBERED_TEXT
from app.api.offboarding import OffboardingMutations
from app.api.planning import PlanningMutations
from app.api.policies import PolicyMutations
from app.api.portfolio import PortfolioQueries
from app.api.risks import RiskMutations
from app.api.scalars import SCALAR_MAP
from app.api.sso import SsoMutations, SsoQueries
from app.api.standards import StandardMutations, StandardQueries
from app.api.steering import SteeringMutations
from app.api.tenants import TenantMutations, TenantQueries
from app.api.tickets import TicketMutations
from app.api.twofactor import TwoFactorMutations, TwoFactorQueries
from app.api.vendors import VendorMutations
from graphql import DocumentNode, GraphQLError, execute


@strawberry.type
class Query(TenantQueries, PortfolioQueries, HealthQueries, AuditQueries, IntegrationQueries, StandardQueries,
            CalendarQueries, TwoFactorQueries, SsoQueries, DeliveryQueries):
    pass


@strawberry.type
class Mutation(
    TenantMutations, RiskMutations, PlanningMutations, BudgetMutations, TicketMutations, PolicyMutations,
    VendorMutations, SteeringMutations, HealthMutations, IntegrationMutations, OffboardingMutations,
    LifecycleMutations, StandardMutations, GoalMutations, StrategyMutations, DecisionMutations, CalendarMutations,
    DeliveryMutations, AccountMutations, TwoFactorMutations, SsoMutations,
):
    pass


# Limits from the OWASP GraphQL cheat sheet, passed as classes: one instance per request.
class DepthLimit(QueryDepthLimiter):
    def __init__(self):
        super().__init__(max_depth=12)


class AliasLimit(MaxAliasesLimiter):
    def __init__(self):
        super().__init__(max_alias_count=MAX_ALIASES)


class TokenLimit(MaxTokensLimiter):
    # Documents over the limit are refused before parsing (app/api/http.py); this stays as the
    # parser's own guard for anything that reaches it.
    def __init__(self):
        super().__init__(max_token_count=MAX_TOKENS)


class Schema(strawberry.Schema):
    """Errors are answered, not logged here: the endpoint logs the unexpected ones with their
    request id. Logging every refused document in full let one client flood the log and cost
    100+ ms a request (found by tests/security/test_hostile_requests.py)."""

    # The rules of the extensions that validate (depth, aliases and, in production, introspection),
    # for documents validated once outside the executor (app/api/compiled/document.py) and then
    # run by `execute_validated`.
    compiled_validation_rules = (*DepthLimit().validation_rules, *AliasLimit().validation_rules)

    REFUSALS_KEPT = 512  # the refused documents remembered (`execute_refused`), the last ones

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refused: OrderedDict[tuple[str, str | None], tuple] = OrderedDict()

    def process_errors(self, errors, execution_context=None) -> None:
        return None

    async def execute_refused(self, query: str, variables, context, operation_name: str | None) -> ExecutionResult:
        """The answer to a document that does not validate (`compiled.document.valid_document`), as
        `execute` words it: its parser's or validation's errors, which depend on the text and the
        operation's name alone, so they are remembered by both (texts up to REMEMBERED_TEXT).

        Why: `execute` parses and validates the text again on every request, and a hostile
        document's refusal then took up to 8x a `{ __typename }` (tests/security/test_hostile_requests.py).
        Only a refusal before execution is remembered (strawberry's PreExecutionError): nothing of
        the request ran."""
        key = (query, operation_name)
        kept = self._refused.get(key)
        if kept is not None:
            self._refused.move_to_end(key)
            return ExecutionResult(data=None, errors=list(kept))
        result = await self.execute(query, variables, context_value=context, operation_name=operation_name)
        if isinstance(result, PreExecutionError) and len(query) <= REMEMBERED_TEXT:
            self._refused[key] = tuple(result.errors)
            if len(self._refused) > self.REFUSALS_KEPT:
                self._refused.popitem(last=False)
        return result

    async def execute(self, query, *args, **kwargs) -> ExecutionResult:
        """An unknown `operationName` or an empty document is the client's error (400), not a 500."""
        try:
            return await super().execute(query, *args, **kwargs)
        except (CannotGetOperationTypeError, MissingQueryError) as error:
            reason = error.as_http_error_reason() if isinstance(error, CannotGetOperationTypeError) else "No query was sent."
            return ExecutionResult(data=None, errors=[GraphQLError(reason)])

    async def execute_validated(self, document: DocumentNode, variables: dict, context, operation_name: str):
        """Run a document already parsed and validated with this schema's rules (`compiled.document.valid_document`).

        Why: validating the executive report's document (~150 fields) costs ~11 ms, more than a
        dashboard's whole answer, and `execute` repeats it on every request (a twentieth of the API's
        CPU in the mixed workload went to validating mutations again). Our extensions act on the
        text and the validation only (none resolves), so what runs here is what `execute` runs after them."""
        result = execute(self._schema, document, variable_values=variables, context_value=context,
                         operation_name=operation_name, is_awaitable=optimized_is_awaitable,
                         executor_class=self.execution_context_class)
        return await result if optimized_is_awaitable(result) else result


def build_schema(production: bool) -> strawberry.Schema:
    extensions = [TokenLimit, DepthLimit, AliasLimit]
    if production:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production, scalar_map=SCALAR_MAP),
    )
    plan_inputs(schema)
    if production:
        schema.compiled_validation_rules = (*Schema.compiled_validation_rules, *DisableIntrospection().validation_rules)
    return schema
