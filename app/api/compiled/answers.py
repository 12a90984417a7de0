"""Whole answers of compiled reads, kept in the process while their tenants' data is unchanged.

Why: a CIO's dashboard asks the same documents over and over, and most of what they read
(health scores, the risk register, the plan) changes a few times a month. Serving a stored
body costs the request its authentication statement only.

Exact, not time-based: an answer is stored under the change counter of the tenants it read (the
one of a `tenant(id:)` document, else all the caller sees: `Principal.version_of`, app/db/versions.py)
read by the request's authentication statement, before the answer's own
statement; it is served only to a request whose counter, read the same way, is equal. The
counter is bumped in the same commit as any write to those tenants' data and never goes down,
so an equal counter means nothing the answer read has changed since it was computed.

The key holds everything an answer depends on besides the data: the caller (kind, id, practice,
role and exact tenant set, or its whole practice), the document, the operation, the variables and
the UTC day (rules "as of today", such as the portfolio's open high risks or its default month,
change with it overnight without any write). An answer "as of now" (`nextSteeringMeeting`) is
stored with the time it may next read otherwise, which its statement computes (the earliest
upcoming meeting of the tenants it read: until then, every "next" meeting stays next) and is
served only before then, by this host's clock against the database's `now()` (the two are
assumed in sync, as NTP keeps them). Entries are evicted least recently used first, within a byte
budget (`FCIO_ANSWER_CACHE_MB` per process).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable

import orjson

from app.auth.principal import Principal
from app.months import utc_today


def key(principal: Principal, query: str, variables: dict | None, operation_name: str | None) -> Hashable:
    who = (principal.kind, principal.id, principal.practice_id, principal.role, principal.scope_key)
    return who, query, operation_name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS), utc_today()


class Answers:
    """A least-recently-used map from `key` to (counter, response body, expiry), bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[int, bytes, float | None]] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, entry_key: Hashable, version: int, now: float | None = None) -> bytes | None:
        """The body stored under `entry_key` at `version`, unless its expiry (epoch seconds) has come."""
        entry = self._entries.get(entry_key)
        if entry is None or entry[0] != version:
            return None
        if entry[2] is not None and (time.time() if now is None else now) >= entry[2]:
            return None
        self._entries.move_to_end(entry_key)
        return entry[1]

    def put(self, entry_key: Hashable, version: int, body: bytes, expires: float | None = None) -> None:
        if len(body) > self.max_bytes // 4:
            return  # one huge answer would evict everything else
        old = self._entries.pop(entry_key, None)
        if old is not None:
            self._bytes -= len(old[1])
        self._entries[entry_key] = (version, body, expires)
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            _, (_, evicted, _) = self._entries.popitem(last=False)
            self._bytes -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)
