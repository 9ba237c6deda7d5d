"""The parameters each Open-Meteo API accepts through the gateway, with their bounds and
defaults: one table, read by the parser and printed in docs/GATEWAY.md."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Open-Meteo's own limit (LOCATIONS_LIMIT, default 1000): it refuses more in one call.
MAX_LOCATIONS_PER_CALL = 1000
MAX_LOCATIONS = MAX_LOCATIONS_PER_CALL  # per request: more is refused as Open-Meteo does
MAX_VARIABLES = 200  # per list (hourly, daily, ...); Open-Meteo's longest lists are shorter
MAX_MODELS = 20
MAX_NAME_CHARS = 64  # one variable, model or timezone name
MAX_LIST_CHARS = 4000  # one list parameter, all its values joined
MAX_NUMBER_CHARS = 32  # one number as written
MAX_PAIRS = 6000  # key=value pairs in one request: four per location and some more


class Kind(Enum):
    VARIABLES = "variable list"  # comma list or repeated keys; the answer follows its order
    NAMES = "name list"  # models: comma list or repeated keys
    CHOICE = "one of"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date (yyyy-mm-dd)"
    HOUR = "hour (yyyy-mm-ddThh:mm)"
    PER_LOCATION = "one value, or one per location"


@dataclass(frozen=True, slots=True)
class Param:
    kind: Kind
    default: str | None = None
    choices: tuple[str, ...] = ()
    low: float = 0
    high: float = 0


def _choice(default: str, *others: str) -> Param:
    return Param(Kind.CHOICE, default, (default, *others))


def _days(high: int, default: int | None = None) -> Param:
    return Param(Kind.INTEGER, None if default is None else str(default), low=0, high=high)


_VARIABLES = Param(Kind.VARIABLES)
_UNITS = {
    "temperature_unit": _choice("celsius", "fahrenheit"),
    "wind_speed_unit": _choice("kmh", "ms", "mph", "kn"),
    "precipitation_unit": _choice("mm", "inch"),
}
_COMMON = {
    "timeformat": _choice("iso8601", "unixtime"),
    "timezone": Param(Kind.PER_LOCATION, "GMT"),
    "cell_selection": _choice("land", "sea", "nearest"),
    "start_date": Param(Kind.DATE),
    "end_date": Param(Kind.DATE),
}
_RANGES = {
    "start_hour": Param(Kind.HOUR),
    "end_hour": Param(Kind.HOUR),
}
_MODELLED = {
    **_UNITS,
    "models": Param(Kind.NAMES, "best_match"),
    "elevation": Param(Kind.PER_LOCATION, low=-1000, high=10_000),
}
FORECAST_DAYS_MAX = 16
PAST_DAYS_MAX = 92
AIR_QUALITY_DAYS_MAX = 7

# Per API (by its path name): every parameter besides latitude, longitude, format, apikey.
PARAMS: dict[str, dict[str, Param]] = {
    "forecast": {
        "hourly": _VARIABLES,
        "daily": _VARIABLES,
        "current": _VARIABLES,
        "minutely_15": _VARIABLES,
        **_MODELLED,
        **_COMMON,
        **_RANGES,
        "past_days": _days(PAST_DAYS_MAX, 0),
        "forecast_days": _days(FORECAST_DAYS_MAX, 7),
        "past_hours": _days(PAST_DAYS_MAX * 24),
        "forecast_hours": _days(FORECAST_DAYS_MAX * 24),
        "past_minutely_15": _days(PAST_DAYS_MAX * 96),
        "forecast_minutely_15": _days(FORECAST_DAYS_MAX * 96),
        "start_minutely_15": Param(Kind.HOUR),
        "end_minutely_15": Param(Kind.HOUR),
        "tilt": Param(Kind.NUMBER, low=0, high=90),
        "azimuth": Param(Kind.NUMBER, low=-180, high=180),
    },
    "air-quality": {
        "hourly": _VARIABLES,
        "current": _VARIABLES,
        "domains": _choice("auto", "cams_europe", "cams_global"),
        **_COMMON,
        **_RANGES,
        "past_days": _days(PAST_DAYS_MAX, 0),
        "forecast_days": _days(AIR_QUALITY_DAYS_MAX, 5),
        "past_hours": _days(PAST_DAYS_MAX * 24),
        "forecast_hours": _days(AIR_QUALITY_DAYS_MAX * 24),
    },
    "archive": {
        "hourly": _VARIABLES,
        "daily": _VARIABLES,
        **_MODELLED,
        **_COMMON,
    },
}
# Per API: the parameters that belong to each point (timezone, elevation), sorted.
PER_LOCATION: dict[str, tuple[str, ...]] = {
    api: tuple(sorted(k for k, param in table.items() if param.kind is Kind.PER_LOCATION))
    for api, table in PARAMS.items()
}
# Older names Open-Meteo still accepts, read as their current ones (one key, one entry).
ALIASES = {"windspeed_unit": "wind_speed_unit"}
# Always in a request, handled apart from the table.
COORDINATES = ("latitude", "longitude")
FORMAT = "format"
APIKEY = "apikey"  # accepted and dropped: a client's key is never forwarded
REQUIRED: dict[str, tuple[str, ...]] = {"archive": ("start_date", "end_date")}
