"""Open-Meteo adapters: geocoding and current weather, over one shared httpx client."""

from __future__ import annotations

import httpx
import msgspec

from adapters.providers.bounds import Celsius, Latitude, Longitude, Name, Percent, Short, Timestamp
from adapters.providers.http import DEFAULT_LIMITS, HttpLimits, HttpProvider, get_json
from adapters.providers.spec import ProviderContext, ProviderSetting, ProviderSpec
from domain.model.admission import UpstreamCall
from domain.model.errors import CityNotFound, UpstreamBadResponse
from domain.model.query import WeatherQuery
from domain.model.weather import Location, Weather
from domain.model.wmo_codes import describe
from ports.provider import Geocoder

GEOCODING_URL = "https://geocoding-api.open-meteo.com"
FORECAST_URL = "https://api.open-meteo.com"
_CURRENT_VARIABLES = "temperature_2m,relative_humidity_2m,weather_code"


class _Place(msgspec.Struct):
    name: Name
    latitude: Latitude
    longitude: Longitude
    country: Short | None = None
    timezone: Short | None = None


class _Search(msgspec.Struct):
    # Open-Meteo omits `results` altogether when nothing matches, but always says how long
    # it took: that is how its "no match" differs from an empty or error object.
    results: list[_Place] | msgspec.UnsetType = msgspec.UNSET
    generationtime_ms: float | msgspec.UnsetType = msgspec.UNSET
    error: bool = False


class _Current(msgspec.Struct):
    time: Timestamp
    temperature_2m: Celsius
    relative_humidity_2m: Percent | None = None
    weather_code: float | None = None  # a WMO code; 3.0 is read as 3, see describe()


class _Forecast(msgspec.Struct):
    current: _Current


class OpenMeteoGeocoder(Geocoder):
    """Rules:
    - `results` with a place: the first one, every field within its bounds (else the
      name's answer is unusable: UnusableAnswer, a 502 remembered briefly);
    - no match is only Open-Meteo's documented shape for it: an object without `results`
      (or with an empty list) that carries `generationtime_ms`: CityNotFound;
    - any other 200 (`{}`, `{"error": true, ...}`) is UpstreamBadResponse: a 502 that
      caches nothing, least of all a negative entry for a city that may well exist.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str = GEOCODING_URL,
        limits: HttpLimits = DEFAULT_LIMITS,
    ) -> None:
        self._client = client
        self._url = f"{base_url.rstrip('/')}/v1/search"
        self._limits = limits

    async def locate(self, query: WeatherQuery, call: UpstreamCall) -> Location:
        params = {"name": query.city, "count": 1, "language": "en", "format": "json"}
        search = await get_json(
            self._client, "geocoding", self._url, params, _Search, self._limits, call=call
        )
        if search.error or (
            search.results is msgspec.UNSET and search.generationtime_ms is msgspec.UNSET
        ):
            raise UpstreamBadResponse("geocoding upstream sent a 200 that is not an answer")
        if not search.results:
            raise CityNotFound(f"no city named {query.city!r}")
        # _Place has Location's fields, checked against their bounds when decoded.
        return msgspec.convert(search.results[0], Location, from_attributes=True)


class OpenMeteoProvider(HttpProvider):
    """Geocodes a city through `geocoder` (one that remembers its answers), then asks for the
    forecast; a point goes to the forecast as it is, with no geocoding call.

    A null humidity or weather code is still weather (null in the answer); a temperature
    missing, null or out of range makes the city's answer unusable."""

    name = "open-meteo"

    def __init__(
        self,
        client: httpx.AsyncClient,
        geocoder: Geocoder,
        *,
        base_url: str = FORECAST_URL,
        limits: HttpLimits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(client, f"{base_url.rstrip('/')}/v1/forecast", limits)
        self._geocoder = geocoder

    async def _fetch(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        location = await self._locate(query, call)
        params = {
            "latitude": location.latitude,
            "longitude": location.longitude,
            "current": _CURRENT_VARIABLES,
        }
        forecast = await get_json(
            self._client, "forecast", self._url, params, _Forecast, self._limits, call=call
        )
        return _weather(location, forecast.current, self.name)

    async def _locate(self, query: WeatherQuery, call: UpstreamCall) -> Location:
        if query.point is None:
            return await self._geocoder.locate(query, call)
        # A point needs no geocoding: the forecast takes coordinates, and names no place.
        return Location(name="", latitude=query.point.latitude, longitude=query.point.longitude)


def _weather(location: Location, current: _Current, provider: str) -> Weather:
    return Weather(
        city=location.name or None,
        temperature=current.temperature_2m,
        humidity=current.relative_humidity_2m,
        description=describe(current.weather_code),
        country=location.country,
        latitude=location.latitude,
        longitude=location.longitude,
        observed_at=current.time,
        provider=provider,
    )


def _build(context: ProviderContext) -> OpenMeteoProvider:
    geocoder = OpenMeteoGeocoder(
        context.http, base_url=context.options["OPEN_METEO_GEOCODING_URL"], limits=context.limits
    )
    return OpenMeteoProvider(
        context.http,
        context.remember_locations(geocoder),
        base_url=context.options["OPEN_METEO_FORECAST_URL"],
        limits=context.limits,
    )


SPEC = ProviderSpec(
    name="open-meteo",
    build=_build,
    settings=(
        ProviderSetting(
            env="OPEN_METEO_GEOCODING_URL",
            kind="url",
            default=GEOCODING_URL,
            help="Open-Meteo's geocoding API base URL.",
        ),
        ProviderSetting(
            env="OPEN_METEO_FORECAST_URL",
            kind="url",
            default=FORECAST_URL,
            help="Open-Meteo's forecast API base URL (also the gateway's `/v1/forecast`, "
            "docs/GATEWAY.md).",
        ),
        ProviderSetting(
            env="OPEN_METEO_AIR_QUALITY_URL",
            kind="url",
            default="https://air-quality-api.open-meteo.com",
            help="The gateway's `/v1/air-quality` upstream base URL.",
        ),
        ProviderSetting(
            env="OPEN_METEO_ARCHIVE_URL",
            kind="url",
            default="https://archive-api.open-meteo.com",
            help="The gateway's `/v1/archive` upstream base URL.",
        ),
        ProviderSetting(
            env="OPEN_METEO_API_KEY",
            kind="secret",
            help="Open-Meteo commercial key the gateway sends upstream as `apikey` (a "
            "client's own is never forwarded); never logged.",
        ),
    ),
    endpoints={
        "/v1/search": "geocoding",
        "/v1/forecast": "forecast",
        "/v1/air-quality": "air-quality",
        "/v1/archive": "archive",
    },
    # Open-Meteo's terms for non-commercial use, per client address.
    free_tier={"minute": 600, "hour": 5_000, "day": 10_000},
    requests_per_call=2,  # geocoding, then forecast
    gateway=True,
)
