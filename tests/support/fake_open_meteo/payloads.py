"""The JSON the fake Open-Meteo serves: real shapes, deterministic synthetic values."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from tests.support.fake_open_meteo.cities import CITIES, COUNTRIES

WMO_SAMPLE = (0, 1, 2, 3, 45, 51, 61, 63, 71, 80, 95)
VARIABLES = ("temperature_2m", "relative_humidity_2m", "weather_code")
UNITS = {"time": "iso8601", "interval": "seconds", "temperature_2m": "°C"}
UNITS |= {"relative_humidity_2m": "%", "weather_code": "wmo code"}


def fold(name: str) -> str:
    """Like the real search, "sao paulo" finds "São Paulo"."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[int]:
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "big") for i in range(0, 16, 4)]


def _place(place_id: int, name: str, lat: float, lon: float, code: str, tz: str) -> dict[str, Any]:
    return {
        "id": place_id,
        "name": name,
        "latitude": lat,
        "longitude": lon,
        "elevation": float(_words(name)[0] % 1500),
        "feature_code": "PPL",
        "country_code": code,
        "timezone": tz,
        "country_id": 6252001 if code == "US" else 1,
        "country": COUNTRIES.get(code, "Synthetia"),
    }


_KNOWN = {fold(row[0]): _place(5_000_000 + i, *row) for i, row in enumerate(CITIES)}


def search(name: str, *, accept_any: bool) -> dict[str, Any]:
    """Unknown names get no `results` key at all, exactly like the real API."""
    place = _KNOWN.get(fold(name))
    # "nowhere" stays unknown even with accept_any, so load tests can mix in misses.
    if place is None and accept_any and name.strip() and "nowhere" not in fold(name):
        w = _words(fold(name))
        lat, lon = round(-60 + w[1] % 1_300_000 / 1e4, 5), round(-180 + w[2] % 3_600_000 / 1e4, 5)
        place = _place(9_000_000 + w[3] % 1_000_000, name.strip(), lat, lon, "ZZ", "GMT")
    if place is None:
        return {"generationtime_ms": 0.5}
    return {"results": [place], "generationtime_ms": 0.7}


def forecast(lat: float, lon: float, variables: list[str], code: int | None) -> dict[str, Any]:
    """Only the requested `current` variables come back, as with the real API."""
    w = _words(f"{lat:.2f},{lon:.2f}")
    now = int(time.time())
    values: dict[str, Any] = {
        "temperature_2m": round(-10 + w[0] % 450 / 10, 1),
        "relative_humidity_2m": 15 + w[1] % 86,
        "weather_code": WMO_SAMPLE[w[2] % len(WMO_SAMPLE)] if code is None else code,
    }
    wanted = [v for v in VARIABLES if v in variables]
    current = {"time": time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now - now % 900))}
    current |= {"interval": 900} | {v: values[v] for v in wanted}
    return {
        "latitude": round(lat, 2),
        "longitude": round(lon, 2),
        "generationtime_ms": 0.03,
        "utc_offset_seconds": 0,
        "timezone": "GMT",
        "timezone_abbreviation": "GMT",
        "elevation": float(w[3] % 1500),
        "current_units": {k: UNITS[k] for k in ("time", "interval", *wanted)},
        "current": current,
    }


# Bodies for the broken modes, per endpoint: (mode, endpoint) -> 200 body.
BROKEN: dict[tuple[str, str], bytes] = {
    ("bad_json", "geocoding"): b'{"results": [{"id": 5392171, "name": "San Jo',
    ("bad_json", "forecast"): b'{"latitude": 37.34, "current": {"time": "2026-11-',
    ("missing_fields", "geocoding"): b'{"results": [{"id": 5392171, "name": "San Jose"}]}',
    ("missing_fields", "forecast"): b'{"latitude": 37.34, "current": {"time": "2026-11-26T01:45"}}',
    ("wrong_shape", "geocoding"): b'{"results": {"name": "San Jose", "latitude": "north"}}',
    ("wrong_shape", "forecast"): b'{"current": [22.5, 65, 2]}',
}

# Error modes: mode -> (status, Open-Meteo's `reason`).
ERRORS = {
    "error400": (400, "Cannot initialize WeatherVariable from invalid String value"),
    "error429": (429, "Minutely API request limit exceeded. Please try again in one minute."),
    "daily429": (429, "Daily API request limit exceeded. Please try again tomorrow."),
    "error500": (500, "Internal server error"),
}

# Forecast modes: the real `current` object with one field spoiled, as Open-Meteo has been
# seen to send for single points (a station gap shows up as null).
SPOILED: dict[str, Callable[[dict[str, Any]], None]] = {
    "null_humidity": lambda current: current.update(relative_humidity_2m=None),
    "null_weather_code": lambda current: current.update(weather_code=None),
    "null_temperature": lambda current: current.update(temperature_2m=None),
    "missing_temperature": lambda current: current.pop("temperature_2m", None),
    "float_code": lambda current: current.update(weather_code=3.0),
    "hot": lambda current: current.update(temperature_2m=5000.0),
}

# Geocoding 200s that are not the documented "no match" ({"generationtime_ms": ...}).
ODD_SEARCHES: dict[str, dict[str, Any]] = {
    "error_200": {"error": True, "reason": "Internal error while searching"},
    "empty_object": {},
}


def concerns(cities: list[str], endpoint: str, query: dict[str, str]) -> bool:
    """Whether a request is for one of `cities`: by name for geocoding, by the coordinates
    the geocoder gave them for the forecast."""
    places = [_KNOWN.get(fold(city)) for city in cities]
    if endpoint == "geocoding":
        return fold(query.get("name", "")) in {fold(city) for city in cities}
    try:
        lat, lon = float(query["latitude"]), float(query["longitude"])
    except (KeyError, ValueError):
        return False
    return any(
        p is not None and abs(p["latitude"] - lat) < 1e-4 and abs(p["longitude"] - lon) < 1e-4
        for p in places
    )
