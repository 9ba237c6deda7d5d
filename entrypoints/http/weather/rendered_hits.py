"""Shared-cache hits rendered once per entry and second of age, not once per hit.

With the near cache off (NEAR_CACHE_TTL=0), or on its misses, every hit still reads the
shared cache; a hot city's read returns the very same entry until it is rewritten
(adapters/redis/decoded_entries.py). Its body, ETag and freshness headers depend on
nothing but that entry, the units and the age in whole seconds, so encoding them again on
every read is work that serves nothing (docs/BENCHMARKS.md, "Hit path, issue 25, second
pass"). Only the rendering is kept: whether there is a hit is the shared cache's answer.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from domain.model.outcome import WeatherResult
from domain.model.weather import Weather
from entrypoints.http.weather.freshness import lifetime
from entrypoints.http.weather.rendered import Rendered, render
from entrypoints.http.weather.units import Units


class _Inputs(NamedTuple):
    """Everything a rendered answer's bytes are made of, but the weather itself (which is
    compared by identity)."""

    stale: bool
    age_s: int  # the body's age_seconds and the ETag's
    fresh_until_s: int | None  # whole seconds: all that max-age reads of it
    stale_until_s: int
    modified_s: int


class _Kept(NamedTuple):
    weather: Weather
    units: Units
    inputs: _Inputs
    answer: Rendered
    rendered_at: float


# An answer's age is one of its inputs, in whole seconds: a kept answer cannot be reused
# once its age has moved on, at most a second after it was rendered. Two, for the margin.
REUSABLE_S = 2.0
DROPPED_PER_RENDER = 4  # more than the one a render adds: a backlog shrinks


class RenderedHits:
    """Query string -> the answer last rendered for it, reused while the result to render
    has the very same weather and the same `_Inputs`; at most `max_items`, oldest out.
    Kept in the order rendered, so each render drops a few that can no longer be reused
    (past REUSABLE_S) from the front: only what could still be reused is held."""

    def __init__(self, max_items: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self._items: OrderedDict[bytes, _Kept] = OrderedDict()
        self._max_items = max_items
        self._clock = clock

    def render(self, query: bytes, result: WeatherResult, units: Units) -> Rendered:
        now = self._clock()
        life = lifetime(result, now)
        fresh_s = None if life.fresh_until is None else math.floor(life.fresh_until)
        inputs = _Inputs(
            result.stale, int(result.age_s), fresh_s, math.floor(life.stale_until), life.modified_s
        )
        kept = self._items.get(query)
        if (
            kept is not None
            and kept.weather is result.weather
            and kept.units == units
            and kept.inputs == inputs
        ):
            return kept.answer
        answer = render(result, units, now)
        if kept is None and len(self._items) >= self._max_items:
            self._items.popitem(last=False)
        self._items[query] = _Kept(result.weather, units, inputs, answer, now)
        self._items.move_to_end(query)
        self._drop_unusable(now - REUSABLE_S)
        return answer

    def _drop_unusable(self, rendered_before: float) -> None:
        items = self._items
        for _ in range(DROPPED_PER_RENDER):
            if not items or next(iter(items.values())).rendered_at > rendered_before:
                return
            items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
