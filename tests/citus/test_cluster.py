"""The cluster the run started: a coordinator and two active workers, each with Citus, on loopback."""

from sqlalchemy import text


async def test_the_coordinator_has_two_active_workers(owner_engine):
    async with owner_engine.connect() as conn:
        nodes = (await conn.execute(text(
            "select nodename, noderole::text, isactive, groupid from pg_dist_node order by groupid"
        ))).all()
        version = await conn.scalar(text("select extversion from pg_extension where extname = 'citus'"))
    assert version.startswith("13.2")
    assert [(n.nodename, n.isactive) for n in nodes] == [("127.0.0.1", True)] * 3
    assert [n.groupid for n in nodes] == [0, 1, 2]  # group 0: the coordinator
