"""What a token good only for enrolling in two-factor sign-in may do.

A user whose practice requires two factors of their role and who has none signs in (password
right) with such a token: with it they may add an authenticator app and nothing else. `POST
/graphql` answers any operation but these root fields with MFA_ENROLLMENT_REQUIRED, before any
resolver or compiled statement runs; every other path takes the token for no token at all
(app/auth/access.py). Enrolled, the user signs in again with a code for a full token.
"""

from __future__ import annotations

from app.api.compiled.document import chosen_operation
from graphql import DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode

ALLOWED_FIELDS = frozenset({"enrollTotp", "confirmTotp", "me", "__typename"})
REFUSAL = ("Your practice requires two-factor sign-in for your role. This sign-in may only set it up: "
           "call enrollTotp, add the secret to your authenticator app, call confirmTotp with its current code, "
           "then sign in again with `otp`.")


def allows(document: DocumentNode | None, operation_name: str | None) -> bool:
    """Whether every root field of the operation to run is one an enrolling user may call."""
    chosen = chosen_operation(document, operation_name) if document is not None else None
    if chosen is None:
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _only_allowed(chosen.selection_set, fragments, set())


def _only_allowed(selection_set, fragments: dict, seen: set) -> bool:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value not in ALLOWED_FIELDS:
                return False
        elif isinstance(selection, InlineFragmentNode):
            if not _only_allowed(selection.selection_set, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                return False
            if not _only_allowed(fragments[name].selection_set, fragments, seen | {name}):
                return False
    return True
