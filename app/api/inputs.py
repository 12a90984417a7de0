"""Input objects built from a plan made once per input type, not worked out again for every value.

Strawberry turns each input object's fields into keyword arguments by resolving the field's type
and its GraphQL name anew for every value it converts: for a push of 20 tickets that was 40% of
the request's time in the API (a fifth of the mixed workload's CPU went to ticket pushes). Its
`from_input` hook lets a type build its own value; `plan_inputs` gives every input type of the
schema the same builder, which keeps strawberry's own rules and only remembers, per type, each
field's GraphQL name, its resolved type and whether its value needs converting at all: a scalar
or an enum is passed on as graphql-core coerced it (what strawberry does too), anything else (a
nested input, a list, an ID list) goes through strawberry's conversion.

Types with a `Maybe` field keep strawberry's conversion: its check that a `Maybe[T]` field is not
given a literal null skips types that build their own value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from typing import Any

import strawberry
from strawberry.relay import GlobalID
from strawberry.types.arguments import InputContext, _is_leaf_type
from strawberry.types.base import (
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition


@dataclass(frozen=True)
class Plan:
    required: tuple[str, ...]  # python names of the fields without a default: None until given
    fields: tuple[tuple[str, str, Any, bool], ...]  # (GraphQL name, python name, type, converted)


_plans: dict[type, Plan] = {}


def plan_inputs(schema: strawberry.Schema) -> None:
    """Give every input type of `schema` without a `Maybe` field the planned builder."""
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if (isinstance(definition, StrawberryObjectDefinition) and definition.is_input
                and definition.from_input is None
                and not any(isinstance(f.type, StrawberryMaybe) for f in definition.fields)):
            definition.from_input = build


def build(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
    """`cls` from its GraphQL input value, as strawberry's own conversion builds it."""
    plan = _plans.get(cls) or _plan(cls, context)
    kwargs: dict[str, Any] = dict.fromkeys(plan.required)
    for graphql_name, python_name, type_, converted in plan.fields:
        if graphql_name in value:
            given = value[graphql_name]
            kwargs[python_name] = context.convert(given, type_, graphql_name) if converted else given
    return cls(**kwargs)


def _plan(cls: type, context: InputContext) -> Plan:
    definition = cls.__strawberry_definition__
    fields = []
    for field in definition.fields:
        type_ = field.resolve_type(type_definition=definition)
        fields.append((context.config.name_converter.from_field(field), field.python_name, type_,
                       not _passed_on(type_, context)))
    plan = Plan(
        required=tuple(f.python_name for f in definition.fields
                       if f.default_value is MISSING and f.default_factory is MISSING),
        fields=tuple(fields),
    )
    _plans[cls] = plan
    return plan


def _passed_on(type_: Any, context: InputContext) -> bool:
    """A value strawberry's conversion returns as it is: a scalar (not a relay GlobalID) or an
    enum, optional or not."""
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if has_object_definition(type_):
        return False
    return (isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_)
            or _is_leaf_type(type_, context.scalar_registry, skip_classes=(GlobalID,)))
