"""Rules rendered as SQL text (app/api/compiled/render.py) mean what the rules say."""

from sqlalchemy import column, or_, table

from app.api.compiled import render

T = table("tenants", column("id"), column("practice_id"), column("status"))


class Params:
    """The compiler's side of `Text.into`: each value becomes the next parameter."""

    def __init__(self):
        self.values = []

    def param(self, value, sql_type):
        self.values.append(value)
        return f"$p{len(self.values)}"


def test_an_or_among_conditions_keeps_its_parentheses():
    """`a AND (b OR c) AND d`, never `a AND b OR c AND d`: the tenant scope is such an OR."""
    conditions = [T.c.id == 1, or_(T.c.practice_id == 2, T.c.id == 3), T.c.status == "ACTIVE"]
    text = render.text_of(conditions).into(Params())
    assert text == "tenants.id = $p1 AND (tenants.practice_id = $p2 OR tenants.id = $p3) AND tenants.status = $p4"


def test_an_order_is_joined_as_it_is():
    assert render.text_of([T.c.status, T.c.id], ", ").into(Params()) == "tenants.status, tenants.id"
