"""The Litestar application: three routes that translate HTTP into use-case calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.types import ASGIApp

from domain.get_weather import GetWeather
from domain.health import CheckHealth
from domain.outcome import CacheOutcome
from domain.query import WeatherQuery
from domain.stats import GetStats
from entrypoints.container import Container, start_services, stop_services
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.near_cache import NearCache, NearCacheFastPath
from entrypoints.http.schemas import ErrorResponse, HealthResponse, StatsResponse, WeatherResponse

_ENCODER = msgspec.json.Encoder()
_ERRORS = {
    status: ResponseSpec(data_container=ErrorResponse, description=text)
    for status, text in [
        (400, "Invalid city"),
        (404, "Unknown city"),
        (502, "Upstream answered with something unusable"),
        (503, "Upstream unavailable and no cached copy"),
    ]
}


@get(
    "/weather",
    summary="Current weather for a city",
    response_description="The weather, with X-Cache (HIT, MISS, STALE, COALESCED) and Age headers",
    responses=_ERRORS,
)
async def weather(
    request: Request[Any, Any, Any],
    get_weather: NamedDependency[GetWeather],
    near_cache: NamedDependency[NearCache],
    city: str | None = Parameter(default=None, description="City name, e.g. San Jose"),
) -> Response[bytes]:
    result = await get_weather(WeatherQuery.parse(city))
    body = _ENCODER.encode(WeatherResponse.from_domain(result))
    if result.outcome is not CacheOutcome.STALE:
        near_cache.put(
            request.scope["query_string"], body, age_s=result.age_s, fresh_for_s=result.fresh_for_s
        )
    headers = {"X-Cache": result.outcome.value, "Age": str(int(result.age_s))}
    return Response(body, media_type=MediaType.JSON, headers=headers)


@get("/stats", summary="Cache counters summed over every worker")
async def stats(get_stats: NamedDependency[GetStats]) -> StatsResponse:
    return msgspec.convert(await get_stats(), StatsResponse)


@get("/healthz", summary="Whether Redis and the weather provider are answering")
async def healthz(check_health: NamedDependency[CheckHealth]) -> HealthResponse:
    return HealthResponse.from_domain(await check_health())


def _from_state(name: str) -> Provide:
    def resolve(state: State) -> Any:
        return state[name]

    return Provide(resolve, sync_to_thread=False)


_SERVICES = ("get_weather", "get_stats", "check_health", "near_cache")


def create_app(container: Container) -> Litestar:
    """Build the app around a container; resources open in the lifespan, not at import."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        for name, service in (await start_services(container)).items():
            app.state[name] = service
        try:
            yield
        finally:
            await stop_services(container)

    return Litestar(
        route_handlers=[weather, stats, healthz],
        lifespan=[lifespan],
        dependencies={name: _from_state(name) for name in _SERVICES},
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Skycache", version="0.1.0"),
    )


def create_asgi(container: Container) -> ASGIApp:
    """The app behind its near cache, when one is configured."""
    app = create_app(container)
    near: NearCache = container.near_cache()
    if not near.enabled:
        return app
    return NearCacheFastPath(app, near, on_hit=lambda: app.state.get_weather.record_hit())
