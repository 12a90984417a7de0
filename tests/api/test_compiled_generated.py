"""Generated read documents: the compiled statement answers each exactly like the executor.

test_compiled_reads.py compares the two paths on the documented operations; here hypothesis
writes the documents (tests/api/generated_documents.py) over the data of
tests/api/generated_scene.py. A few documents hold something the compiler refuses (a fragment, a
directive, `__typename`, a repeated response key, a field it does not build, a cursor on a
nested list or of another list, an invalid month, the portfolio asked by a viewer who is not
staff): those must go to the executor. Every other document must be answered by the one
statement, so the test fails when the compiler falls back silently as well as when it answers
differently.
"""

from __future__ import annotations

import os

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from app.api.compiled.compiler import FIELDS
from graphql import TypeInfo, TypeInfoVisitor, Visitor, parse, visit
from tests.api.compiled_pair import Pair, compiled_here
from tests.api.generated_documents import Document, documents
from tests.api.generated_scene import Scene, build_scene

EXAMPLES = int(os.environ.get("FCIO_GENERATED_DOCUMENTS", "150"))  # more to hunt for differences


@pytest.fixture(scope="module")
def pair(services):
    return Pair(services)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(sessionmaker, pair) -> Scene:
    return await build_scene(sessionmaker, pair)


# ---- the tests ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_generated_documents_answer_like_the_executor(pair, scene, data):
    viewer = data.draw(st.sampled_from(scene.viewers), label="viewer")
    document = data.draw(documents(scene, viewer), label="document")
    note(f"viewer {viewer.name}: {document!r}")
    answers = await pair.ask(document.query, document.variables, viewer.token, document.operation_name)
    if not answers.equal:
        pytest.fail(answers.difference())
    if document.refused:
        assert not answers.compiled, f"compiled although the compiler should refuse it ({document.refused})"
    else:
        assert answers.compiled == compiled_here(document.query, document.operation_name, document.variables,
                                                 viewer.principal.sees), \
            ("compiled where the executor answers it (a coordinator)" if answers.compiled
             else "the executor answered a document the compiler accepts")
    event("executed: " + document.refused[0] if document.refused else "compiled")


class Asked(Visitor):
    """The (type, field) pairs a document asks for."""

    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info, self.pairs = type_info, set()

    def enter_field(self, node, *_):
        parent = self.type_info.get_parent_type()
        if parent is not None:
            self.pairs.add((parent.name, node.name.value))


@pytest.mark.slow
def test_the_generator_asks_every_compiled_field_and_argument(scene, pair):
    """Offline (no requests, fixed draws): the documents cover what the compiler registers, and mostly compile.

    A field registered in app/api/compiled/ that the generator never asks fails here: the
    comparison above would never have checked it.
    """
    schema = pair.compiled_app.state.schema._schema
    drawn: list[Document] = []

    @settings(max_examples=300, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def collect(data):
        viewer = data.draw(st.sampled_from(scene.viewers))
        drawn.append(data.draw(documents(scene, viewer)))

    collect()
    asked, arguments = set(), set()
    for document in drawn:
        type_info = TypeInfo(schema)
        visitor = Asked(type_info)
        visit(parse(document.query), TypeInfoVisitor(type_info, visitor))
        asked |= visitor.pairs
        arguments |= {word for word in document.query.replace("(", " ").split() if word.endswith(":")}
    missing = set(FIELDS) - asked
    assert not missing, f"the generator never asks {sorted(missing)}"
    for name in ("first:", "after:", "search:", "status:", "minScore:", "orderBy:", "month:", "from:", "to:",
                 "fiscalYear:", "id:"):
        assert name in arguments, name
    refused = sum(bool(d.refused) for d in drawn)
    assert 0.03 * len(drawn) < refused < 0.5 * len(drawn), f"{refused} of {len(drawn)} refused"
    assert sum("$" in d.query for d in drawn) > len(drawn) / 3
