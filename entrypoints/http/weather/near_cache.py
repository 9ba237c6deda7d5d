"""Near cache: rendered /weather answers kept in-process for about a second.

A warm hit is answered from here, before Litestar, with no Redis round trip and no I/O for
counters, which is what lets a hot city run near the server's ceiling. The price is
staleness: a worker may answer from its own copy for up to `ttl_s` after Redis changed,
never past the entry's own freshness, and never from a stale entry (those are not stored).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http.weather.rendered import Messages, Rendered


class _Item(NamedTuple):
    expires_at: float
    answer: Rendered
    fence: int = 0  # the fetch's (CacheEntry.fence): a live item is replaced by no older one


class NearCache:
    """An LRU of raw query string -> rendered 200 answer, each kept at most `ttl_s`.

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

    def answer(self, query: bytes, headers: Iterable[tuple[bytes, bytes]]) -> Messages | None:
        """The response start and body messages of a hit (a 200, or a 304 to a matching
        conditional request), or None."""
        now = self._clock()
        item = self._lookup(query, now)
        if item is None:
            return None
        return item.answer.hit(headers, now)

    def keep(self, query: bytes, result: WeatherResult, answer: Rendered) -> None:
        """Stores the rendered answer of a result, unless it is stale."""
        if result.outcome is not CacheOutcome.STALE:
            self.put(query, answer, fence=result.fence)

    def put(self, query: bytes, answer: Rendered, fence: int = 0) -> None:
        """Kept for `ttl_s`, or less when the answer turns stale sooner; not over a live
        answer from a newer fetch (a higher `fence`)."""
        fresh_until = answer.life.fresh_until
        if not self.enabled or fresh_until is None:
            return
        now = self._clock()
        expires_at = min(now + self.ttl_s, fresh_until)
        if expires_at <= now:
            return
        held = self._items.get(query)
        if held is not None and held.fence > fence and now < held.expires_at:
            return
        self._items[query] = _Item(expires_at, answer, fence)
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
