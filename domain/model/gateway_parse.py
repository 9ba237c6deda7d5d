"""Parsing an Open-Meteo query into its canonical parts: the points, each point's own values
(timezone, elevation), and the location-independent parameters."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.model.gateway_errors import GatewayBadRequest
from domain.model.gateway_params import (
    APIKEY,
    COORDINATES,
    FORMAT,
    MAX_LOCATIONS,
    MAX_NUMBER_CHARS,
    MAX_PAIRS,
    PARAMS,
    Kind,
    Param,
)
from domain.model.gateway_rules import check_rules
from domain.model.gateway_values import items, names, number, scalar, timezone, to_float

Extras = tuple[tuple[str, str], ...]
_COORDINATE_CHARS = MAX_LOCATIONS * (MAX_NUMBER_CHARS + 1)


@dataclass(frozen=True, slots=True)
class Parsed:
    format: str
    cells: tuple[tuple[float, float, Extras], ...]  # latitude, longitude, the point's own
    params: tuple[tuple[str, str], ...]


def parse(api: str, pairs: list[tuple[str, str]], grid: Decimal) -> Parsed:
    table = PARAMS[api]
    given = _grouped(api, pairs, table)
    coordinates = _coordinates(given, grid)
    extras = _per_location(given, table, len(coordinates))
    fmt = _format(given.get(FORMAT, []))
    params: list[tuple[str, str]] = []
    for key, values in sorted(given.items()):
        param = table.get(key)
        if param is None or param.kind is Kind.PER_LOCATION:
            continue
        if (text := _canonical(key, param, values)) is not None:
            params.append((key, text))
    check_rules(api, given)  # after each value was read: their formats are known good
    cells = tuple((lat, lon, extra) for (lat, lon), extra in zip(coordinates, extras, strict=True))
    return Parsed(fmt, cells, tuple(params))


def _grouped(
    api: str, pairs: list[tuple[str, str]], table: dict[str, Param]
) -> dict[str, list[str]]:
    if len(pairs) > MAX_PAIRS:
        raise GatewayBadRequest(f"A request may carry at most {MAX_PAIRS} parameters")
    given: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in table and key not in (*COORDINATES, FORMAT, APIKEY):
            raise GatewayBadRequest(f"Parameter '{key[:64]}' is not supported by /v1/{api}")
        given.setdefault(key, []).append(value)
    given.pop(APIKEY, None)
    return given


def _canonical(key: str, param: Param, values: list[str]) -> str | None:
    if param.kind in (Kind.VARIABLES, Kind.NAMES):
        return names(key, param, values)
    if len(values) != 1:
        raise GatewayBadRequest(f"Parameter '{key}' must be given once")
    return scalar(key, param, values[0])


def _format(values: list[str]) -> str:
    if len(values) > 1 or (values and values[0] not in ("json", "flatbuffers")):
        raise GatewayBadRequest("Parameter 'format' must be json or flatbuffers")
    return values[0] if values else "json"


def _coordinates(given: dict[str, list[str]], grid: Decimal) -> list[tuple[float, float]]:
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


def _per_location(given: dict[str, list[str]], table: dict[str, Param], n: int) -> list[Extras]:
    """Each point's own timezone and elevation: one value for all, or one per point."""
    extras: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    for key in sorted(k for k, p in table.items() if p.kind is Kind.PER_LOCATION):
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
