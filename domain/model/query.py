"""WeatherQuery: a validated place (a city name, or a point snapped to its grid cell) and
the cache key derived from it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.model.errors import InvalidCity, InvalidCoordinates

MAX_CITY_LENGTH = 100
# Reject absurd inputs before NFKC, which can expand a string up to 18-fold.
_MAX_RAW_LENGTH = 4 * MAX_CITY_LENGTH
_PUNCTUATION = frozenset("-'.,")
# Plain decimals only: no exponent, nan or inf, at most 12 places (far below a millimetre).
MAX_COORDINATE_LENGTH = 17
_DECIMAL = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{1,12})?")
DEFAULT_GRID = Decimal("0.01")  # about 1 km; Open-Meteo's own models are 1-11 km


def _is_allowed(char: str) -> bool:
    # Letters in any script, plus combining marks (needed by Devanagari, Thai, ...).
    return char == " " or char in _PUNCTUATION or unicodedata.category(char)[0] in "LM"


@dataclass(frozen=True, slots=True)
class GridPoint:
    """The centre of a grid cell: every point in the cell is answered for this one."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class WeatherQuery:
    """A city as the user wrote it, normalised, or a point snapped to its grid cell (then
    `city` is None); `key` is its cache identity, which a city's can never collide with."""

    city: str | None
    key: str
    point: GridPoint | None = None

    @classmethod
    def at(cls, latitude: str, longitude: str, grid: Decimal = DEFAULT_GRID) -> WeatherQuery:
        """Points are snapped to the nearest cell centre, so that nearby points share one
        cache entry, one upstream call and one stampede guard."""
        lat = _coordinate("lat", latitude, 90)
        lon = _coordinate("lon", longitude, 180)
        # int(): -0.001 and 0.001 are in cell 0, not in cells "-0" and "0".
        lat_cell = int((lat / grid).to_integral_value(ROUND_HALF_EVEN))
        lon_cell = int((lon / grid).to_integral_value(ROUND_HALF_EVEN))
        point = GridPoint(
            latitude=_within(float(lat_cell * grid), 90),
            longitude=_within(float(lon_cell * grid), 180),
        )
        # Digits, '@' and ':' are never in a city's key; the grid is, so that a new
        # COORD_GRID never reads cells of another size.
        return cls(city=None, key=f"@{grid}:{lat_cell},{lon_cell}", point=point)

    @classmethod
    def parse(cls, raw: str | None) -> WeatherQuery:
        if raw is None or not raw.strip():
            raise InvalidCity("city is required")
        if len(raw) > _MAX_RAW_LENGTH:
            raise InvalidCity(f"city must be at most {MAX_CITY_LENGTH} characters")
        text = unicodedata.normalize("NFKC", raw)
        # Control characters are rejected before whitespace is collapsed, so "a\r\nb"
        # can never be smuggled through as "a b".
        if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
            raise InvalidCity("city must not contain control characters")
        city = " ".join(part for part in text.split(" ") if part)
        if not city:
            raise InvalidCity("city is required")
        if len(city) > MAX_CITY_LENGTH:
            raise InvalidCity(f"city must be at most {MAX_CITY_LENGTH} characters")
        if not all(_is_allowed(c) for c in city):
            raise InvalidCity("city may contain only letters, spaces and - ' . ,")
        if not any(unicodedata.category(c)[0] == "L" for c in city):
            raise InvalidCity("city must contain at least one letter")
        key = unicodedata.normalize("NFKC", city.casefold())
        return cls(city=city, key=key)


def _coordinate(name: str, text: str, limit: int) -> Decimal:
    if len(text) > MAX_COORDINATE_LENGTH or not _DECIMAL.fullmatch(text):
        raise InvalidCoordinates(
            f"{name} must be a decimal number like 37.34 (at most 12 decimal places)"
        )
    value = Decimal(text)
    if not -limit <= value <= limit:
        raise InvalidCoordinates(f"{name} must be between -{limit} and {limit}")
    return value


def _within(value: float, limit: int) -> float:
    # A grid that does not divide 90 or 180 could put the last cell's centre past the pole.
    return round(min(max(value, -limit), float(limit)), 10)


def display_name(query: WeatherQuery) -> str:
    """The city as asked, or a point's cell key (`@0.01:3734,-12189`): never None."""
    return query.city if query.city is not None else query.key
