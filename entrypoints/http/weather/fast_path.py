"""Fresh cache hits answered before Litestar: one cache read, no framework work.

A Redis hit through Litestar costs ~2x the read itself (routing, parameter parsing, the
response object); this path keeps only what a hit needs. It answers plain queries (a city
or a point, perhaps units) whose entry is fresh; anything else goes on to Litestar, which
is handed what was read (SEEN), so it does not read again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from litestar.datastructures import State

from domain.model.outcome import WeatherResult
from domain.model.query import DEFAULT_GRID
from domain.use_cases.get_weather import Seen
from entrypoints.http.weather.near_cache import Lookup, NearCache
from entrypoints.http.services import services_in
from entrypoints.http.weather.answer import Rendered, render
from entrypoints.http.weather.near_cache import Lookup, NearCache
from entrypoints.http.weather.params import WeatherParams, params_of

# The request state's key for what the lookup read and could not answer (a Seen).
SEEN = "skycache.seen"


def fresh_hits(
    state: State,
    near: NearCache,
    on_answer: Callable[[], None],
    grid: Decimal = DEFAULT_GRID,
) -> Lookup:
    """A lookup for NearCacheFastPath, over the GetWeather the app's lifespan put in `state`."""

    # Parsing is pure and a tenth of a hit's cost: hot query strings are parsed once.
    # Bounded, and fed only strings RequestLimits let through (at most 2 KB each).
    @functools.lru_cache(maxsize=4096)
    def params(query_string: bytes) -> WeatherParams | None:
        return params_of(query_string, grid)

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
        answer = render(result, found.units)
        near.keep(query_string, result, answer)
        return result, answer

    return lookup
