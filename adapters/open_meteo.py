"""Open-Meteo adapters: geocoding and current weather, over one shared httpx client."""

from __future__ import annotations

import httpx
import msgspec

from adapters.upstream_http import LastCallHealth, get_json
from adapters.wmo_codes import describe
from domain.errors import CityNotFound
from domain.query import WeatherQuery
from domain.weather import Location, Weather
from ports.provider import Geocoder, WeatherProvider

GEOCODING_URL = "https://geocoding-api.open-meteo.com"
FORECAST_URL = "https://api.open-meteo.com"
_CURRENT_VARIABLES = "temperature_2m,relative_humidity_2m,weather_code"


class _Place(msgspec.Struct):
    name: str
    latitude: float
    longitude: float
    country: str | None = None
    timezone: str | None = None


class _Search(msgspec.Struct):
    # Open-Meteo omits `results` altogether when nothing matches.
    results: list[_Place] = []


class _Current(msgspec.Struct):
    time: str
    temperature_2m: float
    relative_humidity_2m: float
    weather_code: int


class _Forecast(msgspec.Struct):
    current: _Current


class OpenMeteoGeocoder(Geocoder):
    def __init__(self, client: httpx.AsyncClient, *, base_url: str = GEOCODING_URL) -> None:
        self._client = client
        self._url = f"{base_url.rstrip('/')}/v1/search"

    async def locate(self, query: WeatherQuery) -> Location:
        params = {"name": query.city, "count": 1, "language": "en", "format": "json"}
        search = await get_json(self._client, "geocoding", self._url, params, _Search)
        if not search.results:
            raise CityNotFound(f"no city named {query.city!r}")
        place = search.results[0]
        return Location(
            name=place.name,
            latitude=place.latitude,
            longitude=place.longitude,
            country=place.country,
            timezone=place.timezone,
        )


class OpenMeteoProvider(WeatherProvider):
    """Geocodes through `geocoder` (wrap it in a CachedGeocoder), then asks for the forecast."""

    name = "open-meteo"

    def __init__(
        self, client: httpx.AsyncClient, geocoder: Geocoder, *, base_url: str = FORECAST_URL
    ) -> None:
        self._client = client
        self._geocoder = geocoder
        self._url = f"{base_url.rstrip('/')}/v1/forecast"
        self._health = LastCallHealth()

    async def current(self, query: WeatherQuery) -> Weather:
        with self._health.tracking():
            location = await self._geocoder.locate(query)
            params = {
                "latitude": location.latitude,
                "longitude": location.longitude,
                "current": _CURRENT_VARIABLES,
            }
            forecast = await get_json(self._client, "forecast", self._url, params, _Forecast)
        return _weather(location, forecast.current, self.name)

    def healthy(self) -> bool:
        return self._health()


def _weather(location: Location, current: _Current, provider: str) -> Weather:
    return Weather(
        city=location.name,
        temperature=current.temperature_2m,
        humidity=current.relative_humidity_2m,
        description=describe(current.weather_code),
        country=location.country,
        latitude=location.latitude,
        longitude=location.longitude,
        observed_at=current.time,
        provider=provider,
    )
