"""The fake upstream's JSON, written as Open-Meteo's JsonWriter writes it: no whitespace,
the header in its order, `location_id` only when not 0, an array only for several points."""

from __future__ import annotations

import math
import time as clock
from typing import Any

import msgspec

from tests.support.fake_open_meteo.gateway_query import FakeQuery, Location
from tests.support.fake_open_meteo.gateway_series import Section
from tests.support.fake_open_meteo.gateway_variables import unit_of

GENERATION_MS = 0.05  # fixed, so that two answers to one query are equal byte for byte


def body(query: FakeQuery, answers: list[tuple[Location, dict[str, dict[str, Section]]]]) -> bytes:
    """`answers`: per location, its sections per model."""
    objects = [_object(query, where, per_model) for where, per_model in answers]
    if len(objects) == 1:
        return objects[0]
    return b"[" + b",".join(objects) + b"]"


def _object(query: FakeQuery, where: Location, per_model: dict[str, dict[str, Section]]) -> bytes:
    doc: dict[str, Any] = {
        "latitude": where.latitude,
        "longitude": where.longitude,
        "generationtime_ms": GENERATION_MS,
        "utc_offset_seconds": where.offset_s,
        "timezone": where.timezone,
        "timezone_abbreviation": where.abbreviation,
    }
    if math.isfinite(where.elevation):  # as Open-Meteo: no elevation rather than a nan
        doc["elevation"] = where.elevation
    if where.location_id != 0:
        doc["location_id"] = where.location_id
    several = len(per_model) > 1
    for name in next(iter(per_model.values())):
        units: dict[str, Any] = {"time": "unixtime" if query.unixtime else "iso8601"}
        data: dict[str, Any] = {}
        for model, found in per_model.items():
            section = found[name]
            if not data:
                data["time"] = _times(query, where, section, name == "current")
                if name == "current":
                    units["interval"], data["interval"] = "seconds", section.interval
            for series in section.series:
                key = f"{series.variable.name}_{model}" if several else series.variable.name
                units[key] = (
                    "unixtime"
                    if query.unixtime and series.variable.is_time
                    else unit_of(series.variable, query.units)[0]
                )
                values = series.values
                if series.variable.is_time:
                    values = [_time(query, where, int(t)) for t in series.values]  # type: ignore[misc]
                data[key] = values[0] if name == "current" else values
        doc[f"{name}_units"], doc[name] = units, data
    return msgspec.json.encode(doc)


def _times(query: FakeQuery, where: Location, section: Section, current: bool) -> Any:
    times = [_time(query, where, t) for t in section.times()]
    return times[0] if current else times


def _time(query: FakeQuery, where: Location, t: int) -> int | str:
    if query.unixtime:
        return t
    return clock.strftime("%Y-%m-%dT%H:%M", clock.gmtime(t + where.offset_s))
