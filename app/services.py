"""The process-wide clients (engine, sessions, Redis queue), built once at start-up and passed on.

The web app keeps one in `app.state.services`, workers in `ctx["services"]`, the CLI makes its
own. Nothing is connected at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.db.engine import make_engine, make_sessionmaker
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    redis: ArqRedis

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        if not settings.database_url or not settings.redis_url:
            raise RuntimeError(
                "DATABASE_URL and REDIS_URL must be set (or run `fcio dev`, which starts embedded servers)."
            )
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        redis = await create_pool(redis_settings(settings.redis_url))
        return cls(settings, engine, make_sessionmaker(engine), redis)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings
