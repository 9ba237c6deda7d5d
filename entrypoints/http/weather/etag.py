"""The strong ETag of a /weather answer, hashed once per cached Weather, not per hit."""

from __future__ import annotations

import base64
import hashlib
import weakref
from collections.abc import Callable

import msgspec

from domain.model.outcome import WeatherResult
from domain.model.weather import Weather

_ENCODER = msgspec.json.Encoder()
# Tags of the weathers tagged lately, each held only while its Weather lives elsewhere (a
# decoded entry, the near cache, a local copy): a hot one is seldom hashed twice, and the
# memo is the size of what the worker holds now, not of what it served since it started.
# The ceiling bounds it whatever the caches hold; past it the oldest tag goes first.
MAX_TAGS = 1024
_Ref = weakref.ref[Weather]
_TAGS: dict[int, tuple[_Ref, bytes, bytes]] = {}


def etag(result: WeatherResult, representation: bytes) -> bytes:
    """Strong, so it names the very bytes of the body: the weather and its rendering
    (`representation`: the units), whether it is stale, and its age in whole seconds, which
    is all WeatherResponse.from_domain reads. A stale body never matches a fresh one's tag.

    A hot city's reads return the very same Weather until its entry is rewritten
    (adapters/redis/decoded_entries.py), so the weather's part is hashed once, not on
    every hit; the rest is formatted."""
    state = b"s" if result.stale else b"f"
    return b'"%s.%s%d"' % (_weather_tag(result, representation), state, int(result.age_s))


def _weather_tag(result: WeatherResult, representation: bytes) -> bytes:
    weather = result.weather
    key = id(weather)
    known = _TAGS.get(key)
    # The reference, not the id, says it is this Weather: an id is reused once one dies.
    if known is not None and known[0]() is weather and known[1] == representation:
        return known[2]
    digest = hashlib.blake2b(_ENCODER.encode(weather), digest_size=12)
    digest.update(representation)
    tag = base64.urlsafe_b64encode(digest.digest())
    if key not in _TAGS and len(_TAGS) >= MAX_TAGS:
        del _TAGS[next(iter(_TAGS))]
    _TAGS[key] = (weakref.ref(weather, _forgetter(key)), representation, tag)
    return tag


def _forgetter(key: int) -> Callable[[_Ref], None]:
    """Called as the Weather dies: its tag goes with it, unless another took its place."""

    def forget(ref: _Ref) -> None:
        held = _TAGS.get(key)
        if held is not None and held[0] is ref:
            del _TAGS[key]

    return forget


def tags_held() -> int:
    """How many weathers' tags the memo holds (the soak's memory trace reads it)."""
    return len(_TAGS)
