"""An Open-Meteo request as the gateway sees it: which API, which wire format, the points,
and the canonical location-independent parameters that, with one point, key its entry."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote

from domain.model.gateway_errors import GatewayBadRequest
from domain.model.gateway_params import MAX_LOCATIONS_PER_CALL, PARAMS, PER_LOCATION
from domain.model.gateway_parse import parse
from domain.model.gateway_weight import weight_of

__all__ = [
    "MAX_LOCATIONS_PER_CALL", "Api", "GatewayBadRequest", "GatewayRequest", "Point",
    "WireFormat", "parse_request",
]  # fmt: skip
SETTLED_AFTER = timedelta(days=5)  # Open-Meteo's archive lags reality by up to 5 days


class Api(StrEnum):
    FORECAST = "forecast"
    AIR_QUALITY = "air-quality"
    ARCHIVE = "archive"

    @property
    def path(self) -> str:
        return f"/v1/{self.value}"


class WireFormat(StrEnum):
    JSON = "json"
    FLATBUFFERS = "flatbuffers"


@dataclass(frozen=True, slots=True)
class Point:
    """A location snapped to COORD_GRID, with its own timezone/elevation when it has one."""

    latitude: float
    longitude: float
    extras: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GatewayRequest:
    api: Api
    format: WireFormat
    points: tuple[Point, ...]  # the request's order; duplicates allowed
    params: tuple[tuple[str, str], ...]  # sorted; defaults dropped; no apikey
    archive_settled: bool = False

    def canonical_query(self) -> str:
        return _canonical(self.params)

    def location_key(self, point: Point) -> str:
        """api, format, a digest of the canonical parameters, and the point as text."""
        digest = _digest(self.params)
        extras = "".join(f";{key}={value}" for key, value in point.extras)
        where = f"{point.latitude!r},{point.longitude!r}{extras}"
        return f"{self.api.value}:{self.format.value}:{digest}:{where}"

    def upstream_params(self, points: Sequence[Point]) -> list[tuple[str, str]]:
        """The query of one upstream call for `points`, in their order."""
        query = [
            ("latitude", ",".join(repr(p.latitude) for p in points)),
            ("longitude", ",".join(repr(p.longitude) for p in points)),
            *self.params,
            *_per_location(self.api, points),
            # Every answer then carries the field, which the assembly sets for each part's
            # place in the client's answer (adapters/providers/open_meteo_wire_ids.py).
            ("location_id", ",".join("1" * len(points))),
        ]
        if self.format is WireFormat.FLATBUFFERS:
            query.append(("format", WireFormat.FLATBUFFERS.value))
        return query

    def messages_per_location(self) -> int:
        """FlatBuffers answers hold one message per location and model."""
        models = dict(self.params).get("models")
        return len(models.split(",")) if models and self.format is WireFormat.FLATBUFFERS else 1

    def weight(self, n_points: int) -> float:
        return weight_of(self.api.value, dict(self.params), n_points)

    def lifetime_kind(self) -> str:
        return "archive-settled" if self.archive_settled else "forecast"


@lru_cache(maxsize=4096)
def _digest(params: tuple[tuple[str, str], ...]) -> str:
    """Once per distinct query, not once per point: a 100-location request keys 100 parts."""
    return hashlib.sha256(_canonical(params).encode()).hexdigest()[:32]


def _canonical(params: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{key}={quote(value, safe=',')}" for key, value in params)


def _per_location(api: Api, points: Sequence[Point]) -> list[tuple[str, str]]:
    """Each point's timezone/elevation, one value when all share it (as a client may send)."""
    table = PARAMS[api.value]
    query = []
    for key in PER_LOCATION[api.value]:
        if not any(key in dict(p.extras) for p in points):
            continue  # every point has the default: say nothing, as the client did
        values = [dict(p.extras).get(key, table[key].default) for p in points]
        present = [value for value in values if value is not None]
        if len(present) != len(values):  # elevation has no default to send for the others
            raise ValueError(f"{key} is set for some points only: no one call can carry them")
        query.append((key, present[0] if len(set(present)) == 1 else ",".join(present)))
    return query


def _settled(end_date: str, today: date) -> bool:
    return date.fromisoformat(end_date) < today - SETTLED_AFTER


def parse_request(
    api: Api, pairs: Sequence[tuple[str, str]], *, coord_grid: float, today: date
) -> GatewayRequest:
    """Raises GatewayBadRequest for anything Skycache will not forward (see gateway_params)."""
    parsed = parse(api.value, list(pairs), Decimal(repr(coord_grid)))
    points = tuple(Point(lat, lon, extras) for lat, lon, extras in parsed.cells)
    end = dict(parsed.params).get("end_date")
    settled = api is Api.ARCHIVE and end is not None and _settled(end, today)
    return GatewayRequest(api, WireFormat(parsed.format), points, parsed.params, settled)
