"""The fake upstream's reading of a forecast/air-quality/archive request, and the 400s it
answers as Open-Meteo does. Independent of Skycache's own parser, so it can check it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openmeteo_sdk.Model import Model

from tests.support.fake_open_meteo.gateway_variables import FakeVariable, read

SECTIONS = ("current", "minutely_15", "hourly", "daily")
INTERVALS = {"current": 900, "minutely_15": 900, "hourly": 3600, "daily": 86400}
_DEFAULT_DAYS = {"/v1/forecast": 7, "/v1/air-quality": 5, "/v1/archive": 0}
_UNITS = ("temperature_unit", "wind_speed_unit", "precipitation_unit")
KNOWN = {
    "latitude", "longitude", "elevation", "location_id", *SECTIONS, *_UNITS, "timeformat",
    "timezone", "past_days", "forecast_days", "past_hours", "forecast_hours", "start_date",
    "end_date", "start_hour", "end_hour", "models", "cell_selection", "format", "domains",
    "tilt", "azimuth", "past_minutely_15", "forecast_minutely_15", "apikey",
}  # fmt: skip


class Refused(Exception):
    """A 400 with Open-Meteo's body: {"error": true, "reason": ...}."""


@dataclass
class Location:
    latitude: float
    longitude: float
    location_id: int
    elevation: float
    timezone: str
    offset_s: int
    abbreviation: str


@dataclass
class FakeQuery:
    path: str
    locations: list[Location]
    sections: dict[str, list[FakeVariable]]
    units: dict[str, str]
    unixtime: bool
    flatbuffers: bool
    models: list[str]
    days: tuple[date, date]  # the first and last day of the answer, inclusive
    apikey: bool = False
    params: dict[str, list[str]] = field(default_factory=dict)

    def variable_count(self) -> int:
        return sum(len(v) for v in self.sections.values())


def read_query(path: str, pairs: list[tuple[str, str]], today: date) -> FakeQuery:
    given: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in KNOWN:
            raise Refused(f"Unknown parameter '{key}'")
        given.setdefault(key, []).extend(v for v in value.split(",") if v)
    lats, lons = _floats(given, "latitude"), _floats(given, "longitude")
    if not lats or len(lats) != len(lons):
        raise Refused("Parameter 'latitude' and 'longitude' must have the same number of elements")
    sections = {s: [_variable(s, n) for n in given[s]] for s in SECTIONS if given.get(s)}
    units = {u: given[u][0] for u in _UNITS if u in given}
    models = given.get("models") or ["best_match"]
    for model in models:
        if not isinstance(getattr(Model, model, None), int):
            raise Refused(f"Cannot initialize MultiDomains from invalid String value {model}")
    return FakeQuery(
        path, _locations(given, lats, lons), sections, units,
        unixtime=given.get("timeformat") == ["unixtime"],
        flatbuffers=given.get("format") == ["flatbuffers"],
        models=models, days=_days(path, given, today), apikey="apikey" in given, params=given,
    )  # fmt: skip


def _variable(section: str, name: str) -> FakeVariable:
    variable = read(name)
    if variable is None:
        reason = f"Cannot initialize ForecastVariable from invalid String value {name}"
        raise Refused(f"{reason} for key {section}")
    return variable


def _floats(given: dict[str, list[str]], key: str) -> list[float]:
    try:
        return [float(v) for v in given.get(key, [])]
    except ValueError:
        raise Refused(f"Value of type 'Float' required for key '{key}'.") from None


def _locations(given: dict[str, list[str]], lats: list[float], lons: list[float]) -> list[Location]:
    n = len(lats)
    ids = [int(v) for v in given["location_id"]] if "location_id" in given else list(range(n))
    elevations = _floats(given, "elevation") or [math.nan] * n
    zones = given.get("timezone") or ["GMT"]
    if len(ids) != n or len(elevations) not in (1, n) or len(zones) not in (1, n):
        raise Refused("Parameter 'elevation' must have the same number of elements as coordinates")
    elevations, zones = elevations * (n // len(elevations)), zones * (n // len(zones))
    return [
        Location(lat, lon, ids[i], _elevation(lat, lon, elevations[i]), *_zone(zones[i]))
        for i, (lat, lon) in enumerate(zip(lats, lons, strict=True))
    ]


def _elevation(lat: float, lon: float, given: float) -> float:
    return given if not math.isnan(given) else float(int(abs(lat * 37 + lon * 11)) % 1500)


def _zone(name: str) -> tuple[str, int, str]:
    if name in ("auto", "GMT"):
        return "GMT", 0, "GMT"
    try:
        moment = datetime(2026, 1, 1, tzinfo=ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused("Invalid timezone") from None
    offset = moment.utcoffset() or timedelta()
    return name, int(offset.total_seconds()), moment.tzname() or name


def _days(path: str, given: dict[str, list[str]], today: date) -> tuple[date, date]:
    if "start_date" in given and "end_date" in given:
        return date.fromisoformat(given["start_date"][0]), date.fromisoformat(given["end_date"][0])
    if path == "/v1/archive":
        raise Refused("Both 'start_date' and 'end_date' must be set in the url")
    past = int(given.get("past_days", ["0"])[0])
    forecast = int(given.get("forecast_days", [str(_DEFAULT_DAYS[path])])[0])
    return today - timedelta(days=past), today + timedelta(days=max(forecast, 1) - 1)
