"""POST /weather/batch: many cities in one call, each answered on its own.

A POST with a JSON body rather than a GET with repeated `city=`: 50 names of up to 100
letters of any script, percent-encoded, do not fit the 2 KB request line RequestLimits
allows, and a batch, whose items each have their own age, is no answer a cache downstream
could reuse anyway (single cities are: GET /weather).
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.exceptions import ValidationException
from litestar.middleware.rate_limit import get_remote_address
from litestar.params import JSONBody

from domain.model.errors import InvalidQuery, SkycacheError
from domain.model.query import WeatherQuery
from domain.use_cases.get_weather import GetWeather
from entrypoints.http.errors import domain_error, status_of
from entrypoints.http.no_store import NO_STORE
from entrypoints.http.schemas import ErrorResponse
from entrypoints.http.services import services_in
from entrypoints.http.weather import examples
from entrypoints.http.weather.schemas import (
    MAX_BATCH,
    BatchItem,
    BatchRequest,
    BatchResponse,
    WeatherResponse,
)
from entrypoints.http.weather.units import Units

# 50 names of at most 400 characters (WeatherQuery's raw limit), 4 bytes each in UTF-8.
MAX_BODY_BYTES = 128 * 1024


def _refused(request: Request[Any, Any, Any], _: ValidationException) -> Response[Any]:
    shape = f'{{"cities": [1 to {MAX_BATCH} names], "units": "metric" or "imperial"}}'
    return domain_error(request, InvalidQuery(f"the body must be a JSON object {shape}"))


@post(
    "/weather/batch",
    summary=f"Current weather for up to {MAX_BATCH} cities",
    description="Read from the cache together (one round trip for every city it holds); "
    "the others are fetched concurrently, each once, through the same stampede guard as "
    "GET /weather. One unknown or invalid name does not fail the others: each item has "
    "its own status.",
    status_code=200,
    request_max_body_size=MAX_BODY_BYTES,
    cache_control=NO_STORE,
    exception_handlers={ValidationException: _refused},
    responses=examples.BATCH_ANSWERS,
)
async def weather_batch(
    request: Request[Any, Any, Any], data: JSONBody[BatchRequest]
) -> BatchResponse:
    get_weather = services_in(request.app.state).get_weather
    client = get_remote_address(request)
    parsed: list[WeatherQuery | ErrorResponse] = [_parse(city) for city in data.cities]
    distinct = {q.key: q for q in parsed if isinstance(q, WeatherQuery)}
    # Started together, the reads share one MGET (adapters/redis/batch.py); the misses
    # then each go through GetWeather's stampede guard, as single requests do.
    answers = await asyncio.gather(
        *(_answer(get_weather, query, client, data.units) for query in distinct.values())
    )
    by_key = dict(zip(distinct, answers, strict=True))
    return BatchResponse(
        results=[
            msgspec.structs.replace(
                by_key[item.key] if isinstance(item, WeatherQuery) else _failed(item),
                city=asked,
            )
            for asked, item in zip(data.cities, parsed, strict=True)
        ]
    )


def _parse(city: str) -> WeatherQuery | ErrorResponse:
    try:
        return WeatherQuery.parse(city)
    except InvalidQuery as error:
        return _error(error)


async def _answer(
    get_weather: GetWeather, query: WeatherQuery, client: str, units: Units
) -> BatchItem:
    try:
        result = await get_weather(query, client=client)
    except SkycacheError as error:
        outcome = getattr(error, "outcome", None)
        described = _error(error)
        return BatchItem(
            city="",
            status=described.status_code,
            cache=outcome.value if outcome is not None else None,
            error=described,
        )
    weather = WeatherResponse.from_domain(result, units)
    return BatchItem(city="", status=200, cache=result.outcome.value, weather=weather)


def _error(error: SkycacheError) -> ErrorResponse:
    status, code = status_of(error) or (500, "internal_error")
    return ErrorResponse(error=code, detail=str(error), status_code=status)


def _failed(error: ErrorResponse) -> BatchItem:
    return BatchItem(city="", status=error.status_code, error=error)
