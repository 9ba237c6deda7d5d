"""What the composition root hands the HTTP app: typed parts, no string-keyed lookups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from litestar.datastructures import State

from adapters.observability.prometheus_instruments import Instruments
from domain.use_cases.admin import PurgeCity, WarmCities
from domain.use_cases.gateway import ServeGateway
from domain.use_cases.get_weather import GetWeather
from domain.use_cases.health import CheckHealth
from domain.use_cases.stats import GetStats
from entrypoints.http.middleware.access_log import AccessLog
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.settings import Settings
from ports.budget import RequestLimit
from ports.provider import WeatherProvider

if TYPE_CHECKING:  # it parses cities as the fast path does, which imports this module
    from entrypoints.http.status.top_cities import TopCities

# The one key in the app's state: everything else is an attribute of what it holds.
SERVICES_KEY = "services"


@dataclass(frozen=True, slots=True)
class LiveReadings:
    """What only the composition root can read, for /metrics and /status: each circuit
    breaker's state ("closed", "open", "half-open"; Redis' as "redis"), each provider's
    minute quota in HTTP calls, and whether the service was set up to use Redis."""

    breakers: Callable[[], Mapping[str, str]]
    quota_per_minute: Mapping[str, int]
    redis_expected: bool


@dataclass(frozen=True, slots=True)
class HttpServices:
    """What the routes use, open for the app's life."""

    get_weather: GetWeather
    get_stats: GetStats
    check_health: CheckHealth
    near_cache: NearCache
    instruments: Instruments
    provider: WeatherProvider  # for /metrics' health gauge
    live: LiveReadings
    purge_city: PurgeCity
    warm_cities: WarmCities
    serve_gateway: ServeGateway
    request_limit: RequestLimit | None  # RATE_LIMIT; None when unset


@dataclass(frozen=True, slots=True)
class AppWiring:
    """What the app is built around before any I/O, and how to open the rest.

    `open_services` opens the Redis pool, the HTTP client and the use cases in the app's
    lifespan, and closes them (draining refreshes, flushing counters) when it ends."""

    settings: Settings
    near_cache: NearCache
    instruments: Instruments
    access_log: AccessLog
    open_services: Callable[[], AbstractAsyncContextManager[HttpServices]]
    top_cities: TopCities  # fed by every /weather request before the fast path; /status reads it


def services_in(state: State) -> HttpServices:
    """The services the lifespan put in the app's state."""
    return cast(HttpServices, state[SERVICES_KEY])


def request_limit_of(state: State) -> RequestLimit:
    limit = services_in(state).request_limit
    if limit is None:
        raise RuntimeError("RATE_LIMIT is set but no request limit was built")
    return limit
