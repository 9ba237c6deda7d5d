"""The fake upstream's answer for one location and model, before any wire format: each
section's time axis and values, in the order the client asked for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from tests.support.fake_open_meteo.gateway_query import INTERVALS, FakeQuery, Location
from tests.support.fake_open_meteo.gateway_variables import FakeVariable, time_value, value

NOW_OFFSET_S = 12 * 3600  # the fake's "now" is noon (UTC) of its day: every call agrees


@dataclass(frozen=True)
class Series:
    variable: FakeVariable
    values: list[float] | list[int]  # int: unix times (sunrise, sunset)


@dataclass(frozen=True)
class Section:
    start: int  # unix time, UTC
    end: int
    interval: int
    series: list[Series]

    def times(self) -> range:
        return range(self.start, self.end, self.interval)


def epoch(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


def sections(
    query: FakeQuery, where: Location, model: str, run: int, today: date
) -> dict[str, Section]:
    first, last = query.days
    start, end = epoch(first) - where.offset_s, epoch(last) + 86400 - where.offset_s
    found = {}
    for name, variables in query.sections.items():
        interval = INTERVALS[name]
        if name == "current":
            now = epoch(today) + NOW_OFFSET_S
            section = Section(now, now + interval, interval, [])
        else:
            section = Section(start, end, interval, [])
        for variable in variables:
            section.series.append(Series(variable, _values(where, variable, section, model, run)))
        found[name] = section
    return found


def _values(
    where: Location, variable: FakeVariable, section: Section, model: str, run: int
) -> list[float] | list[int]:
    lat, lon = where.latitude, where.longitude
    if variable.is_time:
        return [time_value(lat, lon, variable, t) for t in section.times()]
    seeded = FakeVariable(f"{variable.name}@{model}", variable.variable)
    return [value(lat, lon, seeded, t, run) for t in section.times()]
