"""The fake upstream's variables: Open-Meteo's names read into the SDK's enums, with units
and deterministic values from (point, variable, time, model run)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from openmeteo_sdk.Aggregation import Aggregation
from openmeteo_sdk.Unit import Unit
from openmeteo_sdk.Variable import Variable

_NAME = re.compile(
    r"(?P<base>[a-z0-9_]+?)(?:_(?P<altitude>[0-9]+)m|_(?P<level>[0-9]+)hPa)?"
    r"(?:_(?P<aggregation>max|min|mean|sum))?"
)
_AGGREGATIONS = {"max": Aggregation.maximum, "min": Aggregation.minimum}
_AGGREGATIONS |= {"mean": Aggregation.mean, "sum": Aggregation.sum}
_ALIASES = {"pm2_5": "pm2p5"}
_TEMPERATURES = {"temperature", "apparent_temperature", "dew_point", "soil_temperature"}
_PRECIPITATION = {"precipitation", "rain", "showers", "snowfall"}
_PERCENT = {"relative_humidity", "cloud_cover", "precipitation_probability"}
_TIMES = {"sunrise", "sunset"}
WMO_SAMPLE = (0, 1, 2, 3, 45, 51, 61, 63, 71, 80, 95)

# Unit choices as the JSON writes them and as the FlatBuffers enum says them.
TEMPERATURE_UNITS = {"celsius": ("°C", Unit.celsius), "fahrenheit": ("°F", Unit.fahrenheit)}
WIND_UNITS = {
    "kmh": ("km/h", Unit.kilometres_per_hour),
    "ms": ("m/s", Unit.metre_per_second),
    "mph": ("mp/h", Unit.miles_per_hour),
    "kn": ("kn", Unit.knots),
}
PRECIPITATION_UNITS = {"mm": ("mm", Unit.millimetre), "inch": ("inch", Unit.inch)}


@dataclass(frozen=True, slots=True)
class FakeVariable:
    name: str  # as the client wrote it: the JSON key
    variable: int  # openmeteo_sdk.Variable
    altitude: int = 0
    pressure_level: int = 0
    aggregation: int = Aggregation.none

    @property
    def base(self) -> str:
        return _VARIABLE_NAMES[self.variable]

    @property
    def is_time(self) -> bool:
        return self.base in _TIMES


_VARIABLE_NAMES = {v: k for k, v in vars(Variable).items() if not k.startswith("_")}


def read(name: str) -> FakeVariable | None:
    """None for a name Open-Meteo would refuse."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    base = _ALIASES.get(match["base"], match["base"])
    variable = getattr(Variable, base, None)
    if not isinstance(variable, int) or variable == Variable.undefined:
        return None
    aggregation = _AGGREGATIONS.get(match["aggregation"] or "", Aggregation.none)
    altitude, level = int(match["altitude"] or 0), int(match["level"] or 0)
    return FakeVariable(name, variable, altitude, level, aggregation)


def unit_of(variable: FakeVariable, units: dict[str, str]) -> tuple[str, int]:
    """(the JSON's unit text, the FlatBuffers unit) under the request's unit choices."""
    base = variable.base
    if base in _TEMPERATURES:
        return TEMPERATURE_UNITS[units.get("temperature_unit", "celsius")]
    if base.startswith("wind_speed") or base.startswith("wind_gusts"):
        return WIND_UNITS[units.get("wind_speed_unit", "kmh")]
    if base in _PRECIPITATION:
        return PRECIPITATION_UNITS[units.get("precipitation_unit", "mm")]
    if base in _PERCENT:
        return "%", Unit.percentage
    if base == "weather_code":
        return "wmo code", Unit.wmo_code
    if base in _TIMES:
        return "iso8601", Unit.unix_time
    if base.startswith("pm"):
        return "μg/m³", Unit.micrograms_per_cubic_metre
    return "", Unit.dimensionless


def value(lat: float, lon: float, variable: FakeVariable, t: int, run: int) -> float:
    """A plausible, deterministic value: each model run changes it, as a new run would."""
    seed = zlib.crc32(f"{lat:.4f},{lon:.4f},{variable.name},{run}".encode())
    hour = (t // 3600) % 24
    base = variable.base
    # Whole numbers where Open-Meteo writes them so (a JSON 3, not 3.0).
    if base == "weather_code":
        return WMO_SAMPLE[(seed + hour) % len(WMO_SAMPLE)]
    if base in _PERCENT:
        return 15 + (seed + hour * 3) % 86
    if base == "is_day":
        return int(6 <= hour < 18)
    return round(-10 + seed % 300 / 10 + hour * 0.25, 1)  # -10 to 25.75: any bound holds it


def time_value(lat: float, lon: float, variable: FakeVariable, day_start: int) -> int:
    """sunrise/sunset: a unix time within the day."""
    seed = zlib.crc32(f"{lat:.4f},{lon:.4f},{variable.name}".encode())
    return day_start + (6 if variable.base == "sunrise" else 17) * 3600 + seed % 3600
