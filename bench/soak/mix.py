"""The soak's request mix, like production's: 80/20 hot cities and the long tail, points
asked by coordinates, batches, unknown names, bad input and conditional requests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import quote

from tests.support.fake_open_meteo.cities import CITIES, HOT_CITIES

TAIL_CITIES = [row[0] for row in CITIES if row[0] not in HOT_CITIES]
# Points off the cities' own coordinates, so their forecasts are keys of their own.
POINTS = [(round(row[1] + 0.25, 2), round(row[2] + 0.25, 2)) for row in CITIES[:20]]
# Share of each kind, per 100 requests; the rest are single cities, 80/20 hot/tail.
SHARES = {"point": 10, "batch": 4, "unknown": 3, "invalid": 2, "conditional": 10}


@dataclass(frozen=True, slots=True)
class Request:
    """One request: `keys` are the cache keys it reads (a batch reads several)."""

    kind: str
    method: str
    path: str
    keys: tuple[str, ...]
    body: bytes | None = None
    conditional: bool = False


def city(name: str) -> Request:
    return Request("city", "GET", f"/weather?city={quote(name)}", (name.lower(),))


def _city(rng: random.Random) -> Request:
    pool = HOT_CITIES if rng.random() < 0.8 else TAIL_CITIES
    return city(rng.choice(pool))


def _point(rng: random.Random) -> Request:
    lat, lon = rng.choice(POINTS)
    return Request("point", "GET", f"/weather?lat={lat}&lon={lon}", (f"{lat},{lon}",))


def _batch(rng: random.Random) -> Request:
    names = rng.sample([*HOT_CITIES, *TAIL_CITIES[:10]], 4)
    body = ('{"cities": [' + ", ".join(f'"{n}"' for n in names) + "]}").encode()
    return Request("batch", "POST", "/weather/batch", tuple(n.lower() for n in names), body)


def _kind(roll: float) -> str:
    for kind, share in SHARES.items():
        if roll < share:
            return kind
        roll -= share
    return "city"


def next_request(rng: random.Random, serial: int) -> Request:
    kind = _kind(rng.random() * 100)
    if kind == "city":
        return _city(rng)
    if kind == "point":
        return _point(rng)
    if kind == "batch":
        return _batch(rng)
    if kind == "unknown":  # a new name each time (letters only): each a geocoding miss
        name = "nowhere" + "".join(chr(ord("a") + int(digit)) for digit in str(serial))
        return Request("unknown", "GET", f"/weather?city={name}", (name,))
    if kind == "invalid":
        return Request("invalid", "GET", "/weather?lat=123&lon=0", ())
    hot = city(rng.choice(HOT_CITIES))
    return Request("conditional", "GET", hot.path, hot.keys, conditional=True)
