"""/weather's parameters (city, or lat and lon; units) read one way by the route and the
fast path alike, so that both answer one request for the same place and units."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple
from urllib.parse import parse_qsl

from domain.model.errors import InvalidCoordinates, InvalidQuery
from domain.model.query import DEFAULT_GRID, WeatherQuery
from entrypoints.http.weather.units import METRIC, UNITS, Units

# The app's state holds COORD_GRID under this name, for the route.
COORD_GRID_KEY = "coord_grid"
_NAMES = frozenset(("city", "lat", "lon", "units"))


def grid_of(degrees: float) -> Decimal:
    """COORD_GRID as the exact decimal it was written as (0.01, not 0.01000000000000000020)."""
    return Decimal(repr(degrees))


class WeatherParams(NamedTuple):
    query: WeatherQuery
    units: Units


def parse_params(
    city: str | None,
    lat: str | None,
    lon: str | None,
    units: str | None,
    grid: Decimal = DEFAULT_GRID,
) -> WeatherParams:
    """Raises InvalidQuery (a 400) for anything but one city or one point, in known units."""
    return WeatherParams(_place(city, lat, lon, grid), _units(units))


def _place(city: str | None, lat: str | None, lon: str | None, grid: Decimal) -> WeatherQuery:
    if lat is None and lon is None:
        return WeatherQuery.parse(city)
    if city is not None:
        raise InvalidQuery("give either city, or lat and lon; not both")
    if lat is None or lon is None:
        raise InvalidCoordinates("lat and lon go together: give both")
    return WeatherQuery.at(lat, lon, grid)


def _units(units: str | None) -> Units:
    if units is None:
        return METRIC
    for known in UNITS:
        if units == known:
            return known
    raise InvalidQuery(f"units must be one of {', '.join(UNITS)}")


def params_of(query_string: bytes, grid: Decimal) -> WeatherParams | None:
    """The parameters of a plain query (known names, each at most once), decoded as
    Litestar decodes query strings; None for anything else, which the route answers."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, separator="&")
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= _NAMES:
        return None
    try:
        return parse_params(
            given.get("city"), given.get("lat"), given.get("lon"), given.get("units"), grid
        )
    except InvalidQuery:
        return None
