"""ConnectWise PSA signing keys: fetched from the payload's `Metadata.key_url`, only from allowed origins.

The key URL arrives in the very body it is supposed to authenticate, so it is attacker-controlled
until proven otherwise. We fetch it only when its origin (scheme, host, port) is on the
integration's allow-list (default: ConnectWise's cloud API hosts, `https://*.myconnectwise.net`),
never follow redirects, ignore proxy settings, cap the response size, and cache keys in the
process so a burst of callbacks costs one fetch. A signature that fails against a cached key is
retried once with a fresh key, so a rotated key does not reject deliveries until the cache ages.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from app.errors import Invalid

log = logging.getLogger(__name__)

DEFAULT_KEY_ORIGINS = ("https://*.myconnectwise.net",)
CACHE_SECONDS = 600
CACHE_ENTRIES = 1024
MAX_KEY_RESPONSE = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}

_cache: dict[str, tuple[float, str]] = {}


def _split(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a plain http(s) URL without credentials, or None."""
    if not isinstance(url, str) or "\\" in url or any(ord(c) < 33 for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc or parts.fragment:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def validate_origins(origins: Iterable[str]) -> list[str]:
    """Allow-list entries are origins, `https://host[:port]`, the host optionally `*.domain`."""
    cleaned = []
    for index, origin in enumerate(origins):
        split = _split(origin)
        if split is None or urlsplit(origin).path not in ("", "/") or urlsplit(origin).query:
            raise Invalid(f"{origin!r} is not an origin such as https://*.myconnectwise.net.", ["keyOrigins", str(index)])
        cleaned.append(origin.rstrip("/").lower())
    return cleaned


def allowed(url: str, origins: Iterable[str]) -> bool:
    target = _split(url)
    if target is None:
        return False
    scheme, host, port = target
    for origin in origins:
        o_scheme, o_host, o_port = _split(origin) or ("", "", 0)
        wildcard = o_host.startswith("*.")
        host_ok = host.endswith(o_host[1:]) if wildcard else host == o_host
        if scheme == o_scheme and port == o_port and host_ok:
            return True
    return False


async def _fetch(url: str) -> str | None:
    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=5.0, trust_env=False) as client:
            async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    log.warning("signing key fetch from %s answered %s", url, response.status_code)
                    return None
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_KEY_RESPONSE:
                        log.warning("signing key response from %s is too large", url)
                        return None
    except httpx.HTTPError as error:
        log.warning("signing key fetch from %s failed: %s", url, error)
        return None
    try:
        key = json.loads(body).get("signing_key")
    except (ValueError, AttributeError):
        return None
    return key if isinstance(key, str) and key else None


async def signing_key(url: str, origins: Iterable[str], *, fresh: bool = False) -> str | None:
    """The key behind `url`, or None when the URL is not allowed or the key cannot be fetched."""
    if not allowed(url, origins):
        return None
    now = time.monotonic()
    cached = _cache.get(url)
    if cached and not fresh and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    key = await _fetch(url)
    if key is not None:
        if len(_cache) >= CACHE_ENTRIES:
            _cache.pop(min(_cache, key=lambda u: _cache[u][0]))
        _cache[url] = (now, key)
    return key


def is_cached(url: str) -> bool:
    cached = _cache.get(url)
    return cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS
