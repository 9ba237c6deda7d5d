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
from typing import NamedTuple

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
from entrypoints.http import caching_headers
from entrypoints.http.weather_response import (
    HIT,
    WEATHER_PATH,
    Freshness,
    Rendered,
    freshness,
    messages,
    send_answer,
)

log = logging.getLogger("skycache.http")


class _Item(NamedTuple):
    """Everything a hit sends but its Age and max-age, built once at store time."""

    expires_at: float
    fetched_at: float  # on the near cache's clock: Age counts from the fetch, not the store
    fresh_until: float  # on the near cache's clock: max-age counts down to it
    stale_window_s: float  # how long caches downstream may serve it stale after that
    answer: Rendered
    # The Cache-Control of the last hit, by whole seconds of max-age: a hot entry reuses
    # it all second long rather than format it on every hit.
    last_fresh: list[tuple[int, Freshness]]
    fence: int = 0  # the fetch's (CacheEntry.fence): a live item is replaced by no older one

    def fresh(self, now: float) -> Freshness:
        seconds = round(self.fresh_until - now)
        last = self.last_fresh[0]
        if last[0] != seconds:
            last = (seconds, freshness(seconds, self.stale_window_s))
            self.last_fresh[0] = last
        return last[1]


class NearCache:
    """An LRU of raw query string -> rendered 200 response, each kept at most `ttl_s`."""

    def __init__(
        self,
        *,
        ttl_s: float = 1.0,
        max_items: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._max_items = max_items
        self._clock = clock
        self._items: OrderedDict[bytes, _Item] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0 and self._max_items > 0

    def get(self, query: bytes) -> tuple[float, bytes] | None:
        """(age in seconds, body), or None when absent or expired."""
        now = self._clock()
        item = self._lookup(query, now)
        return None if item is None else (now - item.fetched_at, item.answer.body["body"])

    def answer(
        self, query: bytes, headers: Iterable[tuple[bytes, bytes]]
    ) -> tuple[HTTPResponseStartEvent, HTTPResponseBodyEvent] | None:
        """The response start and body messages of a hit (a 200, or a 304 to a matching
        conditional request), or None."""
        now = self._clock()
        item = self._lookup(query, now)
        if item is None:
            return None
        return messages(headers, HIT, now - item.fetched_at, item.fresh(now), item.answer)

    def keep(self, query: bytes, result: WeatherResult, answer: Rendered) -> None:
        """Stores the rendered answer of a result, unless it is stale."""
        if result.outcome is not CacheOutcome.STALE:
            self.put(
                query,
                answer,
                age_s=result.age_s,
                fresh_for_s=result.fresh_for_s,
                stale_window_s=caching_headers.stale_window(result),
                fence=result.fence,
            )

    def put(
        self,
        query: bytes,
        answer: Rendered,
        *,
        age_s: float,
        fresh_for_s: float,
        stale_window_s: float = 0.0,
        fence: int = 0,
    ) -> None:
        """Kept for `ttl_s`, or less when the entry turns stale sooner; not over a live
        answer from a newer fetch (a higher `fence`)."""
        ttl_s = min(self.ttl_s, fresh_for_s)
        if not self.enabled or ttl_s <= 0:
            return
        now = self._clock()
        held = self._items.get(query)
        if held is not None and held.fence > fence and now < held.expires_at:
            return
        fresh = (-1, freshness(0, 0))  # no hit yet
        self._items[query] = _Item(
            now + ttl_s, now - age_s, now + fresh_for_s, stale_window_s, answer, [fresh], fence
        )
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


# A fresh entry read from the shared cache, already rendered; None if there is none.
Lookup = Callable[[bytes], Awaitable[tuple[WeatherResult, Rendered] | None]]


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
            fresh = await self._lookup(scope["query_string"])
        except Exception:
            # Nothing was sent: the app will answer, and report the error in its own way.
            log.exception("fast path lookup failed; the app answers instead")
            return False
        if fresh is None:
            return False
        await send_answer(scope, send, *fresh)
        return True
