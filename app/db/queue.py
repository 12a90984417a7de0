"""The job queue a session may enqueue on after it commits: set by whoever opens the session.

The API, the workers and the CLI hand their Redis to each session they open; a write deep in an
area (a stale-health mark) finds it here without knowing who opened the session. A session
without one still writes; the sweepers enqueue what it could not.
"""

from __future__ import annotations

from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

QUEUE_INFO_KEY = "job_queue"


def use_queue(session: AsyncSession, redis: ArqRedis | None) -> None:
    session.info[QUEUE_INFO_KEY] = redis


def session_queue(session: AsyncSession) -> ArqRedis | None:
    return session.info.get(QUEUE_INFO_KEY)
