"""The statements run on asyncpg directly (app/db/driver.py) behave as through the session: same
transaction, same errors, a lost connection dropped from the pool, the statement seen by listeners."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import bindparam, literal, select, text
from sqlalchemy.exc import DBAPIError

from app.db import driver
from app.db.engine import make_engine, make_sessionmaker
from app.db.errors import sqlstate, transient
from app.tenants.models import User
from tests.conftest import asyncpg_dsn

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_it_runs_in_the_sessions_transaction_either_way_round(sessionmaker):
    async with sessionmaker() as session, session.begin():
        first = await driver.fetch_record(session, "SELECT txid_current(), set_config('app.probe', 'driver', true)", ())
        seen = await session.scalar(text("SELECT current_setting('app.probe', true)"))
        second = await session.scalar(text("SELECT txid_current()"))
    async with sessionmaker() as session, session.begin():
        before = await session.scalar(text("SELECT txid_current()"))
        after = await driver.fetch_record(session, "SELECT txid_current()", ())
    assert seen == "driver" and first[0] == second  # its transaction-local setting holds for the session's statements
    assert after[0] == before


async def test_a_failed_statement_is_a_dbapi_error_with_its_sqlstate(sessionmaker):
    async with sessionmaker() as session:
        with pytest.raises(DBAPIError) as raised:
            await driver.fetch_record(session, "SELECT 1 / $1::int", (0,))
        await session.rollback()
        assert (await driver.fetch_record(session, "SELECT 1 / $1::int", (1,)))[0] == 1  # the connection is still good
    assert sqlstate(raised.value) == "22012" and not raised.value.connection_invalidated


async def test_a_lost_connection_is_invalidated_and_the_pool_connects_again(database_url, server_url):
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            pid = (await driver.fetch_record(session, "SELECT pg_backend_pid()", ()))[0]
            operator = await asyncpg.connect(asyncpg_dsn(server_url))
            try:  # an operator (or a failover) ends the connection mid-transaction
                assert await operator.fetchval("SELECT pg_terminate_backend($1)", pid)
            finally:
                await operator.close()
            with pytest.raises(DBAPIError) as raised:
                await driver.fetch_record(session, "SELECT 1", ())
        async with sessions() as session:
            assert (await driver.fetch_record(session, "SELECT 41 + $1::int", (1,)))[0] == 42
    finally:
        await engine.dispose()
    assert raised.value.connection_invalidated and transient(raised.value)


async def test_a_built_statement_reads_by_attribute_and_listeners_see_it(sessionmaker, count_statements):
    """Its parameters by name, the statement's own literals (`literal`) bound as SQLAlchemy binds them."""
    nobody = select(User.id, User.email).where(User.email == bindparam("email"))
    literals = select(literal(1).label("one"), literal("a").label("letter"), bindparam("given").label("given"))
    async with sessionmaker() as session, session.begin():
        with count_statements() as log:
            missing = await driver.fetch_row(session, nobody, {"email": "nobody@example.invalid"})
            one = await driver.fetch_row(session, literals, {"given": "b"})
    assert missing is None and (one.one, one.letter, one.given) == (1, "a", "b")
    assert len(log) == 2 and "users" in log.statements[0]
    with pytest.raises(AttributeError):
        _ = one.missing


async def test_a_long_statement_is_prepared_once_per_connection(sessionmaker):
    """asyncpg's own cache keeps no statement over 15 kB: the portfolio's and the report's (40-50 kB)
    would be parsed and planned again on every request."""
    long = "SELECT $1::int + 1 AS n /* " + "kept " * 5_000 + "*/"
    async with sessionmaker() as session, session.begin():
        answers = [(await driver.fetch_record(session, long, (n,)))[0] for n in range(3)]
        prepared = await session.scalar(text("SELECT count(*) FROM pg_prepared_statements WHERE statement = :s"),
                                        {"s": long})
    assert answers == [1, 2, 3] and prepared == 1
