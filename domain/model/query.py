"""WeatherQuery: a validated, normalised city name and the cache key derived from it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from domain.model.errors import InvalidCity

MAX_CITY_LENGTH = 100
# Reject absurd inputs before NFKC, which can expand a string up to 18-fold.
_MAX_RAW_LENGTH = 4 * MAX_CITY_LENGTH
_PUNCTUATION = frozenset("-'.,")


def _is_allowed(char: str) -> bool:
    # Letters in any script, plus combining marks (needed by Devanagari, Thai, ...).
    return char == " " or char in _PUNCTUATION or unicodedata.category(char)[0] in "LM"


@dataclass(frozen=True, slots=True)
class WeatherQuery:
    """A city as the user wrote it, normalised; `key` is its case-folded cache identity."""

    city: str
    key: str

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
