"""The Litestar application: three routes that translate HTTP into use-case calls."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Parameter
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp

from domain.errors import InvalidCity
from domain.get_weather import GetWeather
from domain.health import CheckHealth
from domain.query import MAX_CITY_LENGTH, WeatherQuery
from domain.stats import GetStats
from entrypoints.container import Container, start_services, stop_services
from entrypoints.http.api_docs import openapi_config
from entrypoints.http.errors import EXCEPTION_HANDLERS, domain_error
from entrypoints.http.fresh_hits import encode_answer, fresh_hits
from entrypoints.http.limits import MAX_TARGET_BYTES, RequestLimits
from entrypoints.http.near_cache import NearCache, NearCacheFastPath
from entrypoints.http.observability import ObservedApp, metrics
from entrypoints.http.rate_limit import rate_limiting
from entrypoints.http.schemas import (
    STATS_EXAMPLE,
    ErrorResponse,
    HealthResponse,
    StatsResponse,
    WeatherResponse,
)


def _example(value: Any, summary: str = "example") -> list[Example]:
    return [Example(summary=summary, value=msgspec.to_builtins(value))]


# Each error with a body this service really sends (README, Endpoints).
_ERRORS = {
    status: ResponseSpec(
        data_container=ErrorResponse,
        description=text,
        generate_examples=False,
        examples=_example(ErrorResponse(error=error, detail=detail, status_code=status), error),
    )
    for status, text, error, detail in [
        (400, "Invalid city", "invalid_city", "city may contain only letters, spaces and - ' . ,"),
        (404, "Unknown city", "city_not_found", "no city by that name"),
        (
            414,
            f"Path and query longer than {MAX_TARGET_BYTES} bytes",
            "uri_too_long",
            f"at most {MAX_TARGET_BYTES} bytes",
        ),
        (
            429,
            "Too many requests from this client (only when RATE_LIMIT is set)",
            "http_429",
            "rate limit exceeded",
        ),
        (
            502,
            "Upstream answered with something unusable",
            "upstream_bad_response",
            "forecast upstream answered 400",
        ),
        (
            503,
            "Upstream unavailable and no cached copy (with Retry-After)",
            "upstream_unavailable",
            "open-meteo circuit open after 5 consecutive failures "
            "(last: forecast upstream timed out); next try in 27 s",
        ),
    ]
}
_SAN_JOSE = WeatherResponse(
    city="San Jose",
    temperature=22.5,
    humidity=65,
    description="Partly cloudy",
    country="United States",
    latitude=37.33939,
    longitude=-121.89496,
    observed_at="2026-11-26T01:45",
    provider="open-meteo",
    stale=False,
    age_seconds=0,
)


def _missing_city(request: Request[Any, Any, Any], _: ValidationException) -> Response[Any]:
    # city is /weather's only parameter: Litestar refuses a request only when it is absent.
    return domain_error(request, InvalidCity("city is required"))


@get(
    "/weather",
    summary="Current weather for a city",
    responses={
        200: ResponseSpec(
            data_container=WeatherResponse,
            description="The weather, with X-Cache (HIT, MISS, STALE, COALESCED) and Age headers",
            generate_examples=False,
            examples=_example(_SAN_JOSE, "San Jose, fetched just now (X-Cache: MISS)"),
        ),
        **_ERRORS,
    },
    exception_handlers={ValidationException: _missing_city},
)
async def weather(
    request: Request[Any, Any, Any],
    # Documented as validated: WeatherQuery enforces it (the length after normalisation).
    # Only in the schema, so that each bad city gets WeatherQuery's own 400.
    city: Annotated[
        str,
        Parameter(
            description=f"City name, 1-{MAX_CITY_LENGTH} characters once spaces are collapsed: "
            "letters of any script, spaces and - ' . ,",
            examples=[Example(summary="San Jose", value="San Jose")],
            schema_extra={"minLength": 1, "maxLength": MAX_CITY_LENGTH},
        ),
    ],
) -> ASGIResponse:
    # The hot path: services come from app state rather than Provide (two dependencies are
    # resolved in an anyio task group, ~75 µs a request), and an ASGIResponse skips
    # Response's conversion; together about 4x cheaper in Litestar (see docs/BENCHMARKS.md).
    state = request.app.state
    get_weather: GetWeather = state.get_weather
    result = await get_weather(WeatherQuery.parse(city))
    body = encode_answer(result, state.near_cache, request.scope["query_string"])
    headers = (("X-Cache", result.outcome.value), ("Age", str(int(result.age_s))))
    return ASGIResponse(body=body, media_type=MediaType.JSON, headers=headers)


@get(
    "/stats",
    summary="Cache counters summed over every worker",
    responses={
        200: ResponseSpec(
            data_container=StatsResponse,
            description="Counters since the cache was empty (README, /stats)",
            generate_examples=False,
            examples=_example(STATS_EXAMPLE, "after 10,000 requests"),
        )
    },
)
async def stats(get_stats: NamedDependency[GetStats]) -> StatsResponse:
    return msgspec.convert(await get_stats(), StatsResponse)


@get(
    "/healthz",
    summary="Whether Redis and the weather provider are answering",
    responses={
        200: ResponseSpec(
            data_container=HealthResponse,
            description="Always 200: the body says what is down",
            generate_examples=False,
            examples=_example(HealthResponse(redis_ok=True, provider_ok=True, cache="redis")),
        )
    },
)
async def healthz(check_health: NamedDependency[CheckHealth]) -> HealthResponse:
    return HealthResponse.from_domain(await check_health())


def _from_state(name: str) -> Provide:
    def resolve(state: State) -> Any:
        return state[name]

    return Provide(resolve, sync_to_thread=False)


_SERVICES = ("get_weather", "get_stats", "check_health", "near_cache", "instruments", "provider")


def create_app(container: Container) -> Litestar:
    """Build the app around a container; resources open in the lifespan, not at import."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        for name, service in (await start_services(container)).items():
            app.state[name] = service
        # What exists now lives as long as the process: frozen, it is left out of every
        # full collection, which otherwise stalls the loop 30-80 ms under load.
        gc.freeze()
        try:
            yield
        finally:
            await stop_services(container)

    limiting = rate_limiting(container.settings().rate_limit, container.backend)
    return Litestar(
        route_handlers=[weather, stats, healthz, metrics],
        lifespan=[lifespan, *limiting.lifespan],
        middleware=limiting.middleware,
        stores=limiting.stores,
        dependencies={name: _from_state(name) for name in _SERVICES},
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(title="Skycache", version="0.1.0"),
        # Logging is set up once by the CLI (JSON lines); Litestar's default would replace it.
        logging_config=None,
    )


def create_asgi(container: Container) -> ASGIApp:
    """The app behind its fast path: near-cache hits, then fresh cache hits, skip Litestar.

    Requests that reach the app are counted, timed and logged by ObservedApp; fast-path
    hits are only counted (batched) and logged, which keeps a near hit ~1 µs long."""
    app = create_app(container)
    settings = container.settings()
    access_log = container.access_log() if settings.log_requests else None
    observed = ObservedApp(app, container.instruments(), access_log=access_log)
    near: NearCache = container.near_cache()
    inner: ASGIApp = observed
    # The fast path answers before Litestar's rate limiter could count: one or the other.
    if not settings.rate_limit:

        def on_hit() -> None:
            app.state.get_weather.record_hit()
            observed.near_hit()

        lookup = fresh_hits(app.state, near, on_answer=observed.near_hit)
        inner = NearCacheFastPath(observed, near, on_hit=on_hit, lookup=lookup)
    return RequestLimits(inner)
