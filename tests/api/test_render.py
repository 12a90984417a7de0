"""Rules rendered as SQL text (app/api/compiled/render.py) mean what the rules say."""

import pytest
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


FLOATS = [0.0, -0.0, 1.0, 40.0, -3.0, 0.1, 1 / 3, -2.5, 8.6, 1e-4, 1.5e-4, 1e-5, -1e-5, 1.2345678901234567e-5,
          9.99e-5, 1e-6, 1.5e-6, 1e-7, 1e-300, 123456789012345.67, 99999999999999.0, 1e15, -1e15, 1.5e15,
          1.2345678901234567e15, 9999999999999998.0, 1e16, 1.5e16, 1e22, 1e300, 0.23529411764705882]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_float_reads_as_the_executor_writes_it(engine):
    """The compiled answer's floats are byte for byte orjson's (a goal's 0.00001 came out 1e-5)."""
    import orjson
    from sqlalchemy import text

    from app.api.compiled import sql

    async with engine.connect() as connection:
        for number in FLOATS:
            written = await connection.scalar(text(f"SELECT CAST({sql.float_value('CAST(:v AS float8)')} AS text)"),
                                              {"v": number})
            assert written == orjson.dumps(number).decode(), number
