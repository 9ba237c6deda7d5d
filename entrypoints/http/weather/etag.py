"""The strong ETag of a /weather answer, hashed once per cached Weather, not per hit."""

from __future__ import annotations

import base64
import hashlib

import msgspec

from domain.model.outcome import WeatherResult

_ENCODER = msgspec.json.Encoder()
# Tags of the weathers tagged lately, oldest out first: a hot one is seldom hashed twice,
# and a worker's memo stays the size of what it serves, not of everything it served.
_MAX_TAGS = 1024
_TAGS: dict[int, tuple[object, bytes, bytes]] = {}


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
    known = _TAGS.get(id(weather))
    if known is not None and known[0] is weather and known[1] == representation:
        return known[2]
    digest = hashlib.blake2b(_ENCODER.encode(weather), digest_size=12)
    digest.update(representation)
    tag = base64.urlsafe_b64encode(digest.digest())
    if len(_TAGS) >= _MAX_TAGS:
        del _TAGS[next(iter(_TAGS))]
    # The Weather is kept with its tag: its id cannot be reused while it is in here.
    _TAGS[id(weather)] = (weather, representation, tag)
    return tag
