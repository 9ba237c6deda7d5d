"""What /weather and /weather/batch document: their parameters and answers, each with a
hand-written example that is a real answer (the README's San Jose; the error bodies the
service really sends)."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter, Parameter

from domain.model.query import MAX_CITY_LENGTH, MAX_COORDINATE_LENGTH
from entrypoints.http.middleware.limits import MAX_TARGET_BYTES
from entrypoints.http.openapi.examples import answer
from entrypoints.http.schemas import ErrorResponse
from entrypoints.http.weather import units
from entrypoints.http.weather.schemas import BatchItem, BatchResponse, WeatherResponse

# Documented as WeatherQuery enforces it (its length is counted once spaces are collapsed),
# only in the schema: each bad city then gets WeatherQuery's own 400.
CITY = Parameter(
    description=f"City name, 1-{MAX_CITY_LENGTH} characters once spaces are collapsed: "
    "letters of any script, spaces and - ' . ,. Give either city, or lat and lon.",
    examples=[Example(summary="San Jose", value="San Jose")],
    schema_extra={"minLength": 1, "maxLength": MAX_CITY_LENGTH},
)
_COORDINATE = (
    "A plain decimal (no exponent), at most 12 decimal places, "
    "between {limit}. The point is snapped to the nearest cell of COORD_GRID (0.01° by "
    "default, about 1 km): every point of a cell shares one cached answer. With {other}."
)
_DECIMAL = {"pattern": r"^[+-]?[0-9]{1,3}(\.[0-9]{1,12})?$", "maxLength": MAX_COORDINATE_LENGTH}
LAT = Parameter(
    description="Latitude. " + _COORDINATE.format(limit="-90 and 90", other="lon"),
    examples=[Example(summary="San Jose", value="37.34")],
    schema_extra=_DECIMAL,
)
LON = Parameter(
    description="Longitude. " + _COORDINATE.format(limit="-180 and 180", other="lat"),
    examples=[Example(summary="San Jose", value="-121.89")],
    schema_extra=_DECIMAL,
)
UNITS = Parameter(
    description="metric (°C, the default) or imperial (°F); converted from the one cached "
    "entry, so asking in both costs one upstream call",
    examples=[Example(summary="°F", value="imperial")],
    schema_extra={"enum": list(units.UNITS)},
)
IF_NONE_MATCH = HeaderParameter(
    name="If-None-Match",
    description="An ETag this client holds: 304 with no body if the weather is unchanged",
    required=False,
)
IF_MODIFIED_SINCE = HeaderParameter(
    name="If-Modified-Since",
    description="An HTTP date: 304 if the entry was fetched no later (ignored when "
    "If-None-Match is given)",
    required=False,
)

SAN_JOSE = WeatherResponse(
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
_ERRORS = [
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
        "Too many upstream fetches (misses, refreshes) from this client "
        "(UPSTREAM_MISSES_PER_CLIENT), or too many requests (only when RATE_LIMIT is set)",
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


WEATHER_ANSWERS: dict[int, ResponseSpec] = {
    200: answer(
        WeatherResponse,
        "The weather, with X-Cache (HIT, MISS, STALE, COALESCED) and Age headers",
        SAN_JOSE,
        "San Jose, fetched just now (X-Cache: MISS)",
    ),
    **{
        status: answer(
            ErrorResponse,
            text,
            ErrorResponse(error=error, detail=detail, status_code=status),
            error,
        )
        for status, text, error, detail in _ERRORS
    },
}
_NOT_FOUND = ErrorResponse(error="city_not_found", detail="no city by that name", status_code=404)
BATCH_ANSWERS: dict[int, ResponseSpec] = {
    200: answer(
        BatchResponse,
        "One result per name asked, in order: the weather, or the error GET /weather "
        "would have answered",
        BatchResponse(
            results=[
                BatchItem(city="San Jose", status=200, cache="HIT", weather=SAN_JOSE),
                BatchItem(city="Atlantis", status=404, cache="MISS", error=_NOT_FOUND),
            ]
        ),
        "San Jose cached, Atlantis unknown",
    ),
    400: answer(
        ErrorResponse,
        "The body is not a JSON object with 1 to 50 names and known units",
        ErrorResponse(
            error="invalid_query",
            detail='the body must be a JSON object {"cities": [1 to 50 names], '
            '"units": "metric" or "imperial"}',
            status_code=400,
        ),
        "invalid_query",
    ),
}
