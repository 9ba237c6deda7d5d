"""The points of a request: its coordinates snapped to their grid cells, and each point's
own values (timezone, elevation), given once for all or once per point."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from domain.model.gateway_errors import GatewayBadRequest
from domain.model.gateway_params import (
    MAX_LOCATIONS,
    MAX_NUMBER_CHARS,
    PER_LOCATION,
    Param,
)
from domain.model.gateway_values import items, number, timezone, to_float

Extras = tuple[tuple[str, str], ...]
_COORDINATE_CHARS = MAX_LOCATIONS * (MAX_NUMBER_CHARS + 1)


def coordinates_of(given: dict[str, list[str]], grid: Decimal) -> list[tuple[float, float]]:
    lats = items("latitude", given.get("latitude", []), _COORDINATE_CHARS)
    lons = items("longitude", given.get("longitude", []), _COORDINATE_CHARS)
    if not lats or not lons:
        raise GatewayBadRequest("Parameter 'latitude' and 'longitude' must not be empty")
    if len(lats) != len(lons):
        reason = "Parameter 'latitude' and 'longitude' must have the same number of elements"
        raise GatewayBadRequest(reason)
    if len(lats) > MAX_LOCATIONS:
        raise GatewayBadRequest(f"Only up to {MAX_LOCATIONS} locations can be requested at once")
    pairs = zip(lats, lons, strict=True)
    return [(_snap("latitude", a, 90, grid), _snap("longitude", o, 180, grid)) for a, o in pairs]


def _snap(key: str, text: str, bound: int, grid: Decimal) -> float:
    """The centre of the grid cell holding the point, so that nearby points share an entry."""
    value = to_float(text)
    if value is None:
        raise GatewayBadRequest(f"Parameter '{key}' must be a number")
    if not -bound <= value <= bound:  # nan fails this too, as it does at Open-Meteo
        raise GatewayBadRequest(
            f"{key.title()} must be in range of -{bound} to {bound}°. Given: {value!r}."
        )
    cell = int((Decimal(repr(value)) / grid).to_integral_value(ROUND_HALF_EVEN))
    return min(max(float(cell * grid), -bound), bound) + 0.0


def per_location(
    api: str, given: dict[str, list[str]], table: dict[str, Param], n: int
) -> list[Extras]:
    """Each point's own timezone and elevation: one value for all, or one per point."""
    extras: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    for key in PER_LOCATION[api]:
        if key not in given:
            continue
        values = [_one(key, table[key], item) for item in items(key, given[key], _COORDINATE_CHARS)]
        if len(values) not in (1, n):
            raise GatewayBadRequest(_COUNT_MISMATCH[key])
        for extra, value in zip(extras, values * n if len(values) == 1 else values, strict=True):
            if value != table[key].default:
                extra.append((key, value))
    return [tuple(extra) for extra in extras]


def _one(key: str, param: Param, value: str) -> str:
    return timezone(value) if key == "timezone" else number(key, param, value, nan=True)


_COUNT_MISMATCH = {
    "timezone": "Parameter 'timezone' and coordinates must have the same number of elements",
    "elevation": "Parameter 'elevation' must have the same number of elements as coordinates",
}
