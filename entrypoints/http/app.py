"""The Litestar application: routes that translate HTTP into use-case calls, behind the
fast path."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import metadata

import msgspec
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.types import ASGIApp

from domain.model.gateway import Api
from entrypoints.http.admin.routes import admin_routers
from entrypoints.http.errors import EXCEPTION_HANDLERS, RETRY_AFTER_MAX_KEY
from entrypoints.http.gateway import GATEWAY_ROUTES
from entrypoints.http.gateway.near import NEAR_KEY, GatewayFastPath, GatewayNear
from entrypoints.http.middleware.client_limits import ClientLimits
from entrypoints.http.middleware.cors import CorsFastPath, cors_config
from entrypoints.http.middleware.dates import DatedAnswers
from entrypoints.http.middleware.head import HeadAsGet
from entrypoints.http.middleware.limits import RequestLimits
from entrypoints.http.middleware.observed_app import ObservedApp
from entrypoints.http.no_store import get_of_the_moment
from entrypoints.http.openapi import examples
from entrypoints.http.openapi.config import openapi_config
from entrypoints.http.probes.drain_signal import drain_on_sigterm
from entrypoints.http.probes.routes import PROBE_ROUTES, READINESS_KEY, Readiness
from entrypoints.http.schemas import HealthResponse, StatsResponse
from entrypoints.http.services import (
    SERVICES_KEY,
    AppWiring,
    HttpServices,
    request_limit_of,
    services_in,
)
from entrypoints.http.status.metrics import metrics_routes
from entrypoints.http.status.page import status_routes
from entrypoints.http.weather.batch import weather_batch
from entrypoints.http.weather.fast_path import NearCacheFastPath, fresh_hits
from entrypoints.http.weather.params import COORD_GRID_KEY, grid_of
from entrypoints.http.weather.route import weather


@get_of_the_moment("/stats", "Cache counters summed over every worker", examples.STATS_ANSWERS)
async def stats(services: NamedDependency[HttpServices]) -> StatsResponse:
    return msgspec.convert(await services.get_stats(), StatsResponse)


@get_of_the_moment(
    "/healthz", "Whether Redis and the weather provider are answering", examples.HEALTH_ANSWERS
)
async def healthz(services: NamedDependency[HttpServices]) -> HealthResponse:
    return HealthResponse.from_domain(await services.check_health())


# Under 64 connections a worker holds over a thousand tracked objects in flight (scopes,
# tasks, futures), past Python's default of 700: a young collection ran every few dozen
# Redis hits and scanned live objects, about 7% of a hit's CPU (docs/BENCHMARKS.md, "Hit
# path, issue 25, third pass"). At 10,000 it runs when garbage grows, not with the load.
YOUNG_GC_THRESHOLD = 10_000


def _services(state: State) -> HttpServices:
    return services_in(state)


def create_app(wiring: AppWiring) -> Litestar:
    """Build the app around its wiring; services open in the lifespan, not at import."""

    settings = wiring.settings
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with wiring.open_services() as services:
            app.state[SERVICES_KEY] = services
            # What exists now lives as long as the process: frozen, it is left out of every
            # full collection, which otherwise stalls the loop 30-80 ms under load.
            gc.freeze()
            gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])
            with drain_on_sigterm(readiness, settings.shutdown_delay_s):
                readiness.serving()
                yield

    # Each slice's routes; a new family of endpoints is a folder beside weather/ and status/
    # (docs/ARCHITECTURE.md) whose routes join this list.
    routes = [weather, weather_batch, stats, healthz, *metrics_routes(settings.metrics_token)]
    routes += [*PROBE_ROUTES, *status_routes(wiring), *admin_routers(settings), *GATEWAY_ROUTES]
    return Litestar(
        route_handlers=routes,
        lifespan=[lifespan],
        state=State(
            {
                RETRY_AFTER_MAX_KEY: settings.upstream_retry_after_max_s,
                COORD_GRID_KEY: grid_of(settings.coord_grid),
                READINESS_KEY: readiness,
            }
        ),
        dependencies={"services": Provide(_services, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        cors_config=cors_config(settings.cors_allow_origins),
        openapi_config=openapi_config(title="Skycache", version=metadata.version("skycache")),
        # Logging is set up once by the CLI (JSON lines); Litestar's default would replace it.
        logging_config=None,
    )


def gateway_near(app: Litestar, wiring: AppWiring) -> GatewayNear:
    """The gateway's near cache, in the app's state for its GET route to fill."""
    near = GatewayNear(ttl_s=wiring.settings.near_cache_ttl_s)
    app.state[NEAR_KEY] = near
    return near


def on_gateway_hit(app: Litestar) -> Callable[[Api, int], None]:
    """Counted per location in the gateway's counters (the request itself is counted by
    ObservedApp.fast_answer)."""

    def counted(api: Api, locations: int) -> None:
        services_in(app.state).serve_gateway.record_hits(api.value, locations)

    return counted


def create_asgi(wiring: AppWiring) -> ASGIApp:
    """The app behind its fast path: near-cache hits, then fresh cache hits, skip Litestar.
    HEAD is turned into GET before either sees it, its body dropped on the way out; with
    RATE_LIMIT, each client's requests are counted in front of both; every answer leaves
    with one Date.

    Requests that reach the app are counted, timed and logged by ObservedApp; fast-path
    hits are only counted (batched) and logged (docs/BENCHMARKS.md, "What keeps a hit
    cheap")."""
    app = create_app(wiring)
    access_log = wiring.access_log if wiring.settings.log_requests else None
    observed = ObservedApp(app, wiring.instruments, access_log=access_log)
    near = wiring.near_cache
    # /status's top cities: every /weather request counts, before the fast path answers.
    count = wiring.top_cities.add if wiring.settings.status_page else None

    def on_hit() -> None:
        services_in(app.state).get_weather.record_hit()
        observed.near_hit()

    grid = grid_of(wiring.settings.coord_grid)
    lookup = fresh_hits(app.state, near, on_answer=observed.near_hit, grid=grid)
    # Every answer gets our Date: /weather's fast-path hits carry their own, so DatedAnswers
    # wraps only what is behind them (a send wrapper less per hit); the refusals in front
    # (RequestLimits, ClientLimits) date themselves.
    near_gateway = gateway_near(app, wiring)
    gateway = GatewayFastPath(observed, near_gateway, on_gateway_hit(app), observed.fast_answer)
    behind = DatedAnswers(gateway)
    inner: ASGIApp = NearCacheFastPath(behind, near, on_hit=on_hit, lookup=lookup, on_request=count)
    if wiring.settings.rate_limit:
        # In front of the fast path: a near-cache hit is counted like any request.
        inner = ClientLimits(
            inner,
            lambda: request_limit_of(app.state),
            retry_after_max_s=wiring.settings.upstream_retry_after_max_s,
            on_refused=observed.refused,
        )
    limited = RequestLimits(HeadAsGet(inner))
    cors = cors_config(wiring.settings.cors_allow_origins)
    # Outside the limits: their 414 and 431 carry the CORS headers and Vary as well, so a
    # browser's script can read why it was refused.
    return limited if cors is None else CorsFastPath(limited, cors)
