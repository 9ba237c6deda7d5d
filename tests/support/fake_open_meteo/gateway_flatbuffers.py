"""The fake upstream's FlatBuffers: one size-prefixed WeatherApiResponse per location and
model, built with the `flatbuffers` package in the layout of openmeteo-sdk's schema
(weather_api.fbs; the field slots are those its generated readers use)."""

from __future__ import annotations

import flatbuffers
from openmeteo_sdk.Model import Model

from tests.support.fake_open_meteo.gateway_json import GENERATION_MS
from tests.support.fake_open_meteo.gateway_query import FakeQuery, Location
from tests.support.fake_open_meteo.gateway_series import Section, Series
from tests.support.fake_open_meteo.gateway_variables import unit_of

# WeatherApiResponse's slots (vtable offset = 4 + 2 x slot).
_SECTION_SLOTS = {"current": 9, "daily": 10, "hourly": 11, "minutely_15": 12}
_RESPONSE_FIELDS = 15
_SECTION_FIELDS = 4  # VariablesWithTime: time, time_end, interval, variables
_VARIABLE_FIELDS = 13  # VariableWithValues: variable ... probability


def body(query: FakeQuery, answers: list[tuple[Location, dict[str, dict[str, Section]]]]) -> bytes:
    """The messages one after another: per location, one per model (Open-Meteo's order)."""
    return b"".join(
        message(query, where, model, found)
        for where, per_model in answers
        for model, found in per_model.items()
    )


def message(query: FakeQuery, where: Location, model: str, found: dict[str, Section]) -> bytes:
    b = flatbuffers.Builder(4096)
    timezone, abbreviation = b.CreateString(where.timezone), b.CreateString(where.abbreviation)
    tables = {name: _section(b, query, name, section) for name, section in found.items()}
    b.StartObject(_RESPONSE_FIELDS)
    b.PrependFloat32Slot(0, where.latitude, 0.0)
    b.PrependFloat32Slot(1, where.longitude, 0.0)
    b.PrependFloat32Slot(2, where.elevation, 0.0)
    b.PrependFloat32Slot(3, GENERATION_MS, 0.0)
    b.PrependInt64Slot(4, where.location_id, 0)
    b.PrependUint8Slot(5, getattr(Model, model), 0)
    b.PrependInt32Slot(6, where.offset_s, 0)
    b.PrependUOffsetTRelativeSlot(7, timezone, 0)
    b.PrependUOffsetTRelativeSlot(8, abbreviation, 0)
    for name, table in tables.items():
        b.PrependUOffsetTRelativeSlot(_SECTION_SLOTS[name], table, 0)
    b.FinishSizePrefixed(b.EndObject())
    return bytes(b.Output())


def _section(b: flatbuffers.Builder, query: FakeQuery, name: str, section: Section) -> int:
    variables = [
        _variable(b, query, series, current=name == "current") for series in section.series
    ]
    b.StartVector(4, len(variables), 4)
    for table in reversed(variables):
        b.PrependUOffsetTRelative(table)
    vector = b.EndVector()
    b.StartObject(_SECTION_FIELDS)
    b.PrependInt64Slot(0, section.start, 0)
    b.PrependInt64Slot(1, section.end, 0)
    b.PrependInt32Slot(2, section.interval, 0)
    b.PrependUOffsetTRelativeSlot(3, vector, 0)
    return int(b.EndObject())


def _variable(b: flatbuffers.Builder, query: FakeQuery, series: Series, *, current: bool) -> int:
    variable = series.variable
    values = None
    if not current:
        size = 8 if variable.is_time else 4
        b.StartVector(size, len(series.values), size)
        for v in reversed(series.values):
            b.PrependInt64(int(v)) if variable.is_time else b.PrependFloat32(float(v))
        values = b.EndVector()
    b.StartObject(_VARIABLE_FIELDS)
    b.PrependUint8Slot(0, variable.variable, 0)
    b.PrependUint8Slot(1, unit_of(variable, query.units)[1], 0)
    if current:
        b.PrependFloat32Slot(2, float(series.values[0]), 0.0)
    elif values is not None:
        b.PrependUOffsetTRelativeSlot(4 if variable.is_time else 3, values, 0)
    b.PrependInt16Slot(5, variable.altitude, 0)
    b.PrependUint8Slot(6, variable.aggregation, 0)
    b.PrependInt16Slot(7, variable.pressure_level, 0)
    return int(b.EndObject())
