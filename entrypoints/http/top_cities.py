"""The cities asked for most over the last few minutes, counted in bounded memory."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.model.errors import InvalidCity
from domain.model.query import WeatherQuery
from entrypoints.http.fresh_hits import city_of
from entrypoints.http.weather_response import WEATHER_PATH


class TopCities:
    """Requests per /weather query string, in one bucket a minute, the last few kept.

    Each bucket holds at most `max_keys` query strings, whatever clients send: when it is
    full, the strings seen once so far are dropped (their requests move to `others`), so a
    flood of one-off names cannot crowd out the cities asked for again and again; if that
    frees little, new strings go to `others` until the next bucket. Raw
    query strings are counted (a dict increment on the hot path); they are parsed into
    cities only when the top is read."""

    def __init__(
        self,
        *,
        window_s: float = 300.0,
        bucket_s: float = 60.0,
        max_keys: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self._bucket_s = bucket_s
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: deque[tuple[float, dict[bytes, int]]] = deque()
        self._current: dict[bytes, int] = {}
        self._ends_at = float("-inf")
        self._open = True  # whether a full bucket may still make room for new strings
        self.others = 0

    def add(self, query: bytes) -> None:
        now = self._clock()
        if now >= self._ends_at:
            self._rotate(now)
        counts = self._current
        seen = counts.get(query)
        if seen is not None:
            counts[query] = seen + 1
        elif len(counts) < self._max_keys or (self._open and self._prune(counts)):
            counts[query] = 1
        else:
            self.others += 1

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The `n` cities with the most requests in the window, spellings merged."""
        self._drop_old(self._clock())
        by_city: Counter[str] = Counter()
        names: dict[str, str] = {}
        for _, counts in self._buckets:
            for query, count in counts.items():
                parsed = _parse(query)
                if parsed is not None:
                    by_city[parsed.key] += count
                    names.setdefault(parsed.key, parsed.city)
        return [(names[key], count) for key, count in by_city.most_common(n)]

    def _rotate(self, now: float) -> None:
        self._current = {}
        self._open = True
        self._ends_at = now + self._bucket_s
        self._buckets.append((self._ends_at, self._current))
        self._drop_old(now)

    def _drop_old(self, now: float) -> None:
        while self._buckets and self._buckets[0][0] <= now - self.window_s:
            self._buckets.popleft()

    def _prune(self, counts: dict[bytes, int]) -> bool:
        once = [query for query, count in counts.items() if count == 1]
        for query in once:
            del counts[query]
        self.others += len(once)
        # A pass that frees less than a quarter closes the bucket to new strings until the
        # next one: each O(max_keys) pass is paid for by max_keys/4 new strings at least.
        self._open = len(counts) <= self._max_keys * 3 // 4
        return len(counts) < self._max_keys


def _parse(query: bytes) -> WeatherQuery | None:
    city = city_of(query)
    if city is None:
        return None
    try:
        return WeatherQuery.parse(city)
    except InvalidCity:
        return None


class CountCities:
    """ASGI wrapper: every GET /weather is counted in `top` before anything answers it."""

    def __init__(self, app: ASGIApp, top: TopCities) -> None:
        self._app = app
        self._add = top.add

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["path"] == WEATHER_PATH:
            self._add(scope["query_string"])
        await self._app(scope, receive, send)
