"""Near cache: encoded /weather responses kept in-process for about a second.

A warm hit is answered here, before Litestar, with no Redis round trip and no I/O for
counters, which is what lets a hot city run near the server's ceiling. The price is
staleness: a worker may answer from its own copy for up to `ttl_s` after Redis changed,
never past the entry's own freshness, and never from a stale entry (those are not stored).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http.weather.answer import HIT, WEATHER_PATH, Rendered, messages, send_answer
from entrypoints.http.weather.headers import Moment

log = logging.getLogger("skycache.http")


class _Item(NamedTuple):
    """A stored answer, and the Date, Cache-Control and Last-Modified of its last hit, by
    whole seconds: a hot entry reuses them all second long rather than format them on
    every hit."""

    expires_at: float
    answer: Rendered
    last: list[tuple[int, Moment]]

    def moment(self, now: float) -> Moment:
        second = int(now)
        last = self.last[0]
        if last[0] != second:
            last = (second, self.answer.moment(now))
            self.last[0] = last
        return last[1]


class NearCache:
    """An LRU of raw query string -> rendered 200 response, each kept at most `ttl_s`.

    `clock` is the wall clock: an answer's Date and max-age are epoch times."""

    def __init__(
        self,
        *,
        ttl_s: float = 1.0,
        max_items: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_s = ttl_s
        self._max_items = max_items
        self._clock = clock
        self._items: OrderedDict[bytes, _Item] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0 and self._max_items > 0

    def get(self, query: bytes) -> bytes | None:
        """The body, or None when absent or expired."""
        item = self._lookup(query, self._clock())
        return None if item is None else item.answer.body["body"]

    def answer(
        self, query: bytes, headers: Iterable[tuple[bytes, bytes]]
    ) -> tuple[HTTPResponseStartEvent, HTTPResponseBodyEvent] | None:
        """The response start and body messages of a hit (a 200, or a 304 to a matching
        conditional request), or None."""
        now = self._clock()
        item = self._lookup(query, now)
        if item is None:
            return None
        return messages(headers, HIT, item.moment(now), item.answer)

    def keep(self, query: bytes, result: WeatherResult, answer: Rendered) -> None:
        """Stores the rendered answer of a result, unless it is stale."""
        if result.outcome is not CacheOutcome.STALE:
            self.put(query, answer)

    def put(self, query: bytes, answer: Rendered) -> None:
        """Kept for `ttl_s`, or less when the answer turns stale sooner."""
        fresh_until = answer.life.fresh_until
        if not self.enabled or fresh_until is None:
            return
        now = self._clock()
        expires_at = min(now + self.ttl_s, fresh_until)
        if expires_at <= now:
            return
        self._items[query] = _Item(expires_at, answer, [(int(now), answer.moment(now))])
        self._items.move_to_end(query)
        if len(self._items) > self._max_items:
            self._items.popitem(last=False)

    def _lookup(self, query: bytes, now: float) -> _Item | None:
        item = self._items.get(query)
        if item is None:
            return None
        if now >= item.expires_at:
            del self._items[query]
            return None
        self._items.move_to_end(query)
        return item

    def __len__(self) -> int:
        return len(self._items)


# A fresh entry read from the shared cache, already rendered; None if there is none. The
# second argument is the request's state (the scope's), where a lookup leaves what it read
# for the app, so the app does not read it again.
Lookup = Callable[[bytes, dict[str, Any]], Awaitable[tuple[WeatherResult, Rendered] | None]]


class NearCacheFastPath:
    """ASGI wrapper: answers hot GET /weather hits itself; everything else goes to `app`.

    First the near cache, on an exact match of the raw query string (any other spelling
    goes through once and is stored under its own). Then, if given, `lookup`: one read of
    the shared cache for a fresh entry, still without the framework's cost. Whatever
    neither answers (misses, stale or unknown cities, bad input) is the app's.
    """

    def __init__(
        self,
        app: ASGIApp,
        near: NearCache,
        on_hit: Callable[[], None],
        lookup: Lookup | None = None,
        on_request: Callable[[bytes], None] | None = None,
    ) -> None:
        self._app = app
        self._near = near
        self._on_hit = on_hit
        self._lookup = lookup
        self._on_request = on_request  # sees every GET /weather's query string first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == ScopeType.HTTP
            and scope["path"] == WEATHER_PATH
            and scope["method"] == "GET"
        ):
            if self._on_request is not None:
                self._on_request(scope["query_string"])
            found = self._near.answer(scope["query_string"], scope["headers"])
            if found is not None:
                self._on_hit()
                await send(found[0])
                await send(found[1])
                return
            if self._lookup is not None and await self._answer_fresh(scope, send):
                return
        await self._app(scope, receive, send)

    async def _answer_fresh(self, scope: Scope, send: Send) -> bool:
        assert self._lookup is not None
        try:
            fresh = await self._lookup(scope["query_string"], scope.setdefault("state", {}))
        except Exception:
            # Nothing was sent: the app will answer, and report the error in its own way.
            log.exception("fast path lookup failed; the app answers instead")
            return False
        if fresh is None:
            return False
        await send_answer(scope, send, *fresh)
        return True
