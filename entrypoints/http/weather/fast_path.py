"""/weather hits answered before Litestar: from the near cache, else from one read of the
shared cache for a fresh entry, without the framework's work (docs/BENCHMARKS.md, "What
keeps a hit cheap"). Whatever neither answers goes on to the app, which is handed what was
read (SEEN), so it does not read again.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.model.outcome import WeatherResult
from domain.model.query import DEFAULT_GRID
from domain.use_cases.get_weather import Seen
from entrypoints.http.services import services_in
from entrypoints.http.weather import WEATHER_PATH
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.http.weather.params import WeatherParams, params_of
from entrypoints.http.weather.rendered import Rendered
from entrypoints.http.weather.rendered_hits import RenderedHits

# The request state's key for what the lookup read and could not answer (a Seen).
SEEN = "skycache.seen"
log = logging.getLogger("skycache.http")

# A fresh entry read from the shared cache, already rendered; None if there is none. The
# second argument is the request's state (the scope's), where a lookup leaves what it read
# for the app, so the app does not read it again.
Lookup = Callable[[bytes, dict[str, Any]], Awaitable[tuple[WeatherResult, Rendered] | None]]


class NearCacheFastPath:
    """ASGI wrapper: answers hot GET /weather hits itself; everything else goes to `app`.

    First the near cache, on an exact match of the raw query string (any other spelling
    goes through once and is stored under its own). Then, if given, `lookup`: one read of
    the shared cache for a fresh entry. Whatever neither answers (misses, stale or unknown
    cities, bad input) is the app's.
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
        # A fresh hit, sent outside the app (whose CORS middleware would change it in
        # place): the 200 its second shares, as a near-cache hit's.
        head, body = fresh[1].hit(scope["headers"], time.time())
        await send(head)
        await send(body)
        return True


def fresh_hits(
    state: State,
    near: NearCache,
    on_answer: Callable[[], None],
    grid: Decimal = DEFAULT_GRID,
) -> Lookup:
    """A lookup for NearCacheFastPath, over the GetWeather the app's lifespan put in `state`:
    plain queries (a city or a point, perhaps units) whose entry is fresh."""

    # Parsing is pure and a large part of a hit's cost: hot query strings are parsed once.
    # Bounded, and fed only strings RequestLimits let through (at most 2 KB each).
    @functools.lru_cache(maxsize=4096)
    def params(query_string: bytes) -> WeatherParams | None:
        return params_of(query_string, grid)

    rendered = RenderedHits()

    async def lookup(
        query_string: bytes, request_state: dict[str, Any]
    ) -> tuple[WeatherResult, Rendered] | None:
        found = params(query_string)
        if found is None:
            return None
        result = await services_in(state).get_weather.cached_hit(found.query)
        if isinstance(result, Seen):
            request_state[SEEN] = result
            return None
        on_answer()
        answer = rendered.render(query_string, result, found.units)
        near.keep(query_string, result, answer)
        return result, answer

    return lookup
