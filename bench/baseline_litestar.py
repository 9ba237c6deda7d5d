"""A reference point: a bare Litestar handler returning a msgspec Struct built from a dict."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, get


class Weather(msgspec.Struct):
    city: str
    temperature: float
    humidity: float
    description: str
    country: str | None
    latitude: float | None
    longitude: float | None
    observed_at: str | None
    provider: str
    stale: bool
    age_seconds: int


# Every field but the city: the handler splats it into the Struct, which checks the names.
_ROW: dict[str, Any] = {
    "temperature": 18.4,
    "humidity": 64,
    "description": "Partly cloudy",
    "country": "United States",
    "latitude": 37.33939,
    "longitude": -121.89496,
    "observed_at": "2025-01-01T12:00",
    "provider": "open-meteo",
    "stale": False,
    "age_seconds": 3,
}


@get("/weather")
async def weather(city: str) -> Weather:
    return Weather(city=city, **_ROW)


@get("/healthz")
async def healthz() -> dict[str, bool]:
    return {"ok": True}


app = Litestar(route_handlers=[weather, healthz])
