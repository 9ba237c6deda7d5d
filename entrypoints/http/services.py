"""What the composition root hands the HTTP app: typed parts, no string-keyed lookups."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import cast

from litestar.datastructures import State
from litestar.stores.base import Store

from adapters.observability.prometheus_instruments import Instruments
from domain.use_cases.get_weather import GetWeather
from domain.use_cases.health import CheckHealth
from domain.use_cases.stats import GetStats
from entrypoints.http.access_log import AccessLog
from entrypoints.http.near_cache import NearCache
from entrypoints.settings import Settings
from ports.provider import WeatherProvider

# The one key in the app's state: everything else is an attribute of what it holds.
SERVICES_KEY = "services"


@dataclass(frozen=True, slots=True)
class HttpServices:
    """What the routes use, open for the app's life."""

    get_weather: GetWeather
    get_stats: GetStats
    check_health: CheckHealth
    near_cache: NearCache
    instruments: Instruments
    provider: WeatherProvider  # for /metrics' health gauge


@dataclass(frozen=True, slots=True)
class AppWiring:
    """What the app is built around before any I/O, and how to open the rest.

    `open_services` opens the Redis pool, the HTTP client and the use cases in the app's
    lifespan, and closes them (draining refreshes, flushing counters) when it ends."""

    settings: Settings
    near_cache: NearCache
    instruments: Instruments
    access_log: AccessLog
    rate_limit_store: Store
    open_services: Callable[[], AbstractAsyncContextManager[HttpServices]]


def services_in(state: State) -> HttpServices:
    """The services the lifespan put in the app's state."""
    return cast(HttpServices, state[SERVICES_KEY])
