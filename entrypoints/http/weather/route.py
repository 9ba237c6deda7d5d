"""GET /weather: a city or a point, in metric or imperial units, validated by WeatherParams."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.exceptions import ValidationException
from litestar.middleware.rate_limit import get_remote_address

from domain.model.errors import InvalidQuery
from domain.model.query import DEFAULT_GRID
from entrypoints.http.errors import domain_error
from entrypoints.http.services import services_in
from entrypoints.http.weather import WEATHER_PATH, examples
from entrypoints.http.weather.answer import WeatherAnswer
from entrypoints.http.weather.docs import WeatherOperation
from entrypoints.http.weather.fast_path import SEEN
from entrypoints.http.weather.params import COORD_GRID_KEY, parse_params
from entrypoints.http.weather.rendered import render


def _bad_parameters(request: Request[Any, Any, Any], _: ValidationException) -> Response[Any]:
    # Every parameter is an optional string: Litestar refuses only what no string is.
    return domain_error(request, InvalidQuery("give city, or lat and lon"))


@get(
    WEATHER_PATH,
    summary="Current weather for a city or a point",
    description="One cached entry per city or grid cell, whatever the units.",
    responses=examples.WEATHER_ANSWERS,
    operation_class=WeatherOperation,
    exception_handlers={ValidationException: _bad_parameters},
)
async def weather(
    request: Request[Any, Any, Any],
    city: Annotated[str | None, examples.CITY] = None,
    lat: Annotated[str | None, examples.LAT] = None,
    lon: Annotated[str | None, examples.LON] = None,
    units: Annotated[str | None, examples.UNITS] = None,
    # Read from the scope by the answer itself; named here for the API docs.
    if_none_match: Annotated[str | None, examples.IF_NONE_MATCH] = None,
    if_modified_since: Annotated[str | None, examples.IF_MODIFIED_SINCE] = None,
) -> WeatherAnswer:
    # The hot path: services come from app state rather than Provide (two dependencies are
    # resolved in an anyio task group), and an ASGI answer skips Response's conversion
    # (docs/BENCHMARKS.md, "What keeps a hit cheap").
    state = request.app.state
    params = parse_params(city, lat, lon, units, state.get(COORD_GRID_KEY, DEFAULT_GRID))
    services = services_in(state)
    # The client address as RATE_LIMIT's limiter sees it: misses are budgeted per client.
    seen = request.scope.get("state", {}).get(SEEN)  # what the fast path read, if it ran
    result = await services.get_weather(params.query, client=get_remote_address(request), seen=seen)
    answer = render(result, params.units)
    services.near_cache.keep(request.scope["query_string"], result, answer)
    return WeatherAnswer(result, answer)
