"""Parsing an Open-Meteo query into its canonical parts: the points, each point's own values
(timezone, elevation), and the location-independent parameters."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.model.gateway_errors import GatewayBadRequest
from domain.model.gateway_params import (
    ALIASES,
    APIKEY,
    COORDINATES,
    FORMAT,
    MAX_PAIRS,
    PARAMS,
    Kind,
    Param,
)
from domain.model.gateway_points import Extras, coordinates_of, per_location
from domain.model.gateway_rules import check_rules
from domain.model.gateway_values import names, scalar


@dataclass(frozen=True, slots=True)
class Parsed:
    format: str
    cells: tuple[tuple[float, float, Extras], ...]  # latitude, longitude, the point's own
    params: tuple[tuple[str, str], ...]


def parse(api: str, pairs: list[tuple[str, str]], grid: Decimal) -> Parsed:
    table = PARAMS[api]
    given = _grouped(api, pairs, table)
    coordinates = coordinates_of(given, grid)
    extras = per_location(api, given, table, len(coordinates))
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
        if key in ALIASES and ALIASES[key] in table:
            key = ALIASES[key]
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
