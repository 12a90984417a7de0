"""Documents parsed and validated once per text, and the query operation a request runs.

Clients send the same few documents over and over; parsing and validating one costs about a
millisecond, so the result is kept per document text (a bounded cache). Validation uses the
same rules as the executor: the specification's, plus our depth and alias limits.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from graphql.execution.values import get_variable_values

from app.api.limits import MAX_TOKENS
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)


@lru_cache(maxsize=512)
def valid_document(schema: GraphQLSchema, rules: tuple, query: str) -> DocumentNode | None:
    """The parsed document, or None when it does not parse or validate (the executor answers why)."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)  # with locations: the executor's errors give them
    except GraphQLError:
        return None
    return None if validate(schema, document, [*specified_rules, *rules]) else document


def ambiguous(document: DocumentNode, operation_name: str | None) -> bool:
    """Several operations and no operationName: the specification says refuse (the executor ran the first)."""
    return operation_name is None and sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) > 1


def chosen_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The one operation to run: named, or the document's only operation; None otherwise."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def query_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The one query to run; None otherwise."""
    chosen = chosen_operation(document, operation_name)
    return chosen if chosen is not None and chosen.operation == OperationType.QUERY else None


def one_mutation_field(document: DocumentNode | None, operation_name: str | None) -> bool:
    """A mutation that selects one field at its root (no fragment): its action is the request's
    only write, so the request's own transaction can undo it (`Db.run`)."""
    chosen = chosen_operation(document, operation_name) if document is not None else None
    return (chosen is not None and chosen.operation == OperationType.MUTATION
            and len(chosen.selection_set.selections) == 1 and isinstance(chosen.selection_set.selections[0], FieldNode))


def coerced_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict | None
) -> dict[str, Any] | None:
    """Variables parsed by the schema's scalars (e.g. Month to a date); None when invalid."""
    values = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    return None if isinstance(values, list) else values
