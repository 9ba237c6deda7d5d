"""Provider ports: where fresh weather and city locations come from."""

from __future__ import annotations

from typing import Protocol

from domain.model.query import WeatherQuery
from domain.model.weather import Location, Weather


class WeatherProvider(Protocol):
    """Raises CityNotFound, or UpstreamUnavailable (and its subclasses) for every failure."""

    name: str

    async def current(self, query: WeatherQuery) -> Weather: ...

    def healthy(self) -> bool:
        """Whether recent calls succeeded; never calls the upstream itself."""
        ...


class Geocoder(Protocol):
    """Turns a city name into coordinates, for providers that need them."""

    async def locate(self, query: WeatherQuery) -> Location: ...
