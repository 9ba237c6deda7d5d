"""Weather and Location: the values the domain caches and returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    name: str
    latitude: float
    longitude: float
    country: str | None = None
    timezone: str | None = None


# weakref_slot: a cache beside the domain may hold a Weather's derived values for as long
# as the Weather itself lives, and no longer (entrypoints/http/weather/etag.py).
@dataclass(frozen=True, slots=True, kw_only=True, weakref_slot=True)
class Weather:
    city: str | None  # None for a point asked by its coordinates
    temperature: float
    # None when the provider did not say (a null humidity or weather code is still weather).
    humidity: float | None
    description: str | None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    observed_at: str | None = None
    provider: str = ""
