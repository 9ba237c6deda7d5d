"""OpenWeatherMap adapter: current weather by city name, one call, no separate geocoding."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import msgspec

from adapters.providers.bounds import Celsius, Epoch, Latitude, Longitude, Percent, Short
from adapters.providers.http import (
    DEFAULT_LIMITS,
    HttpLimits,
    HttpProvider,
    check_status,
    decode,
    fetch,
)
from adapters.providers.spec import ProviderContext, ProviderSetting, ProviderSpec
from domain.model.admission import UpstreamCall
from domain.model.errors import CityNotFound, UpstreamRejectedKey
from domain.model.query import WeatherQuery
from domain.model.weather import Weather

OPENWEATHER_URL = "https://api.openweathermap.org"


class _Coord(msgspec.Struct):
    lon: Longitude
    lat: Latitude


class _Condition(msgspec.Struct):
    description: Short | None = None


class _Main(msgspec.Struct):
    temp: Celsius
    humidity: Percent | None = None


class _Sys(msgspec.Struct):
    country: Short | None = None


class _Current(msgspec.Struct):
    coord: _Coord
    main: _Main
    name: Short  # "" for some places: the query's name is used then
    dt: Epoch
    weather: list[_Condition] | None = None  # absent, null or [] is no description
    sys: _Sys = msgspec.field(default_factory=_Sys)


class _Error(msgspec.Struct):
    message: str = ""


class OpenWeatherMapProvider(HttpProvider):
    """Rules:
    - GET /data/2.5/weather?q=<city>&units=metric; OpenWeatherMap geocodes the name itself;
      a point is asked as lat=...&lon=..., and answered with no city name;
    - 404 "city not found" is CityNotFound; any other 404 means OPENWEATHER_URL is wrong;
    - 401 (a wrong, blocked or not yet activated key) is UpstreamRejectedKey: an
      UpstreamUnavailable, so the provider turns unhealthy, its breaker counts it and a
      failover list moves on, but of the kind that is never retried (no request of ours
      can succeed until an operator fixes the key) and is answered 502, like other 4xx;
    - 429 is UpstreamRateLimited, 5xx, timeouts and refused connections UpstreamUnavailable,
      a body that is not JSON UpstreamBadResponse, one that is JSON but missing a field or
      out of bounds (a temperature of 500 °C) UnusableAnswer, this city's 502, cached
      briefly (all through adapters.providers.http); a null humidity or no `weather`
      condition is still weather, with that field null.
    """

    name = "openweathermap"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        api_key: str,
        base_url: str = OPENWEATHER_URL,
        limits: HttpLimits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(client, f"{base_url.rstrip('/')}/data/2.5/weather", limits)
        self._api_key = api_key

    async def _fetch(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        params = _place_params(query) | {"appid": self._api_key, "units": "metric"}
        response = await fetch(self._client, self.name, self._url, params, self._limits, call=call)
        if response.status_code == 401:
            raise UpstreamRejectedKey(
                f"{self.name} rejected the API key (401): check OPENWEATHER_API_KEY"
            )
        if response.status_code == 404 and _says_city_not_found(response.content):
            raise CityNotFound(f"no city named {query.city!r}")
        check_status(self.name, response, self._limits)
        return _weather(query, decode(self.name, response.content, _Current), self.name)


def _place_params(query: WeatherQuery) -> dict[str, str | float]:
    if query.point is None:
        return {"q": query.city or ""}
    return {"lat": query.point.latitude, "lon": query.point.longitude}


def _says_city_not_found(body: bytes) -> bool:
    try:
        return msgspec.json.decode(body, type=_Error).message == "city not found"
    except msgspec.DecodeError:
        return False


def _weather(query: WeatherQuery, current: _Current, provider: str) -> Weather:
    description = current.weather[0].description if current.weather else None
    # A point is answered for itself: not for the station OpenWeatherMap names near it.
    point = query.point
    return Weather(
        city=None if point else current.name or query.city,
        temperature=current.main.temp,
        humidity=current.main.humidity,
        description=description[:1].upper() + description[1:] if description else None,
        country=current.sys.country,
        latitude=point.latitude if point else current.coord.lat,
        longitude=point.longitude if point else current.coord.lon,
        observed_at=datetime.fromtimestamp(current.dt, UTC).strftime("%Y-%m-%dT%H:%M"),
        provider=provider,
    )


def _build(context: ProviderContext) -> OpenWeatherMapProvider:
    return OpenWeatherMapProvider(
        context.http,
        api_key=context.options["OPENWEATHER_API_KEY"],
        base_url=context.options["OPENWEATHER_URL"],
        limits=context.limits,
    )


SPEC = ProviderSpec(
    name="openweathermap",
    build=_build,
    settings=(
        ProviderSetting(
            env="OPENWEATHER_API_KEY",
            kind="secret",
            required=True,
            help="OpenWeatherMap's API key, needed when `WEATHER_PROVIDER` names "
            "openweathermap; never logged (docs/SECURITY.md).",
        ),
        ProviderSetting(
            env="OPENWEATHER_URL",
            kind="url",
            default=OPENWEATHER_URL,
            help="OpenWeatherMap's API base URL.",
        ),
    ),
    endpoints={"/data/2.5/weather": "openweathermap"},
    # The free plan: 60 calls a minute, 1,000,000 a month.
    free_tier={"minute": 60, "month": 1_000_000},
)
