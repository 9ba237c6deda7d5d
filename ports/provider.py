"""Provider ports: where fresh weather and city locations come from."""

from __future__ import annotations

from typing import Protocol

from domain.model.admission import UpstreamCall
from domain.model.query import WeatherQuery
from domain.model.weather import Location, Weather


class WeatherProvider(Protocol):
    """Raises CityNotFound, or UpstreamUnavailable (and its subclasses) for every failure.
    `call` is the fetch's UpstreamCall: every upstream request made for it carries it."""

    name: str

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather: ...

    def healthy(self) -> bool:
        """Whether recent calls succeeded; never calls the upstream itself."""
        ...


class Geocoder(Protocol):
    """Turns a city name into coordinates, for providers that need them. `call`: the
    fetch's UpstreamCall, carried by every request made for it; a geocoder that remembers
    places raises its priority to KNOWN once the place is found (UpstreamCall.found)."""

    async def locate(self, query: WeatherQuery, call: UpstreamCall) -> Location: ...
