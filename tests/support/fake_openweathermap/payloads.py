"""The JSON the fake OpenWeatherMap serves: its real shapes, deterministic synthetic values."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from tests.support.fake_open_meteo.cities import CITIES
from tests.support.fake_open_meteo.payloads import fold

# (id, main, description, icon) from OpenWeatherMap's weather condition codes.
CONDITIONS = (
    (800, "Clear", "clear sky", "01d"),
    (801, "Clouds", "few clouds", "02d"),
    (802, "Clouds", "scattered clouds", "03d"),
    (804, "Clouds", "overcast clouds", "04d"),
    (300, "Drizzle", "light intensity drizzle", "09d"),
    (500, "Rain", "light rain", "10d"),
    (601, "Snow", "snow", "13d"),
    (701, "Mist", "mist", "50d"),
    (211, "Thunderstorm", "thunderstorm", "11d"),
)

# city, lat, lon, country code; "nowhere" stays unknown even with accept_any.
_KNOWN = {fold(row[0]): (row[0], row[1], row[2], row[3]) for row in CITIES}


def _words(text: str) -> list[int]:
    digest = hashlib.blake2b(f"owm:{text}".encode(), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "big") for i in range(0, 16, 4)]


def find(q: str, *, accept_any: bool) -> tuple[str, float, float, str] | None:
    """Like the real API, "London,GB" and "london" both find London (the suffix is ignored)."""
    name = q.split(",")[0].strip()
    place = _KNOWN.get(fold(name))
    if place is None and accept_any and name and "nowhere" not in fold(name):
        w = _words(fold(name))
        place = (name, -60 + w[1] % 1_300_000 / 1e4, -180 + w[2] % 3_600_000 / 1e4, "ZZ")
    return place


def at(lat: str, lon: str) -> tuple[str, float, float, str] | dict[str, Any]:
    """A point's place: named after a known city within about 10 km, like the real API
    names the station it answers from ("" where it has none); or the 400 it sends."""
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        return {"cod": "400", "message": f"{lat or lon} is not a float"}
    if not -90 <= latitude <= 90:
        return {"cod": "400", "message": "wrong latitude"}
    if not -180 <= longitude <= 180:
        return {"cod": "400", "message": "wrong longitude"}
    near = [
        (name, country)
        for name, city_lat, city_lon, country in _KNOWN.values()
        if abs(city_lat - latitude) < 0.1 and abs(city_lon - longitude) < 0.1
    ]
    name, country = near[0] if near else ("", "ZZ")
    return (name or f"{latitude:.2f},{longitude:.2f}", latitude, longitude, country)


def current(place: tuple[str, float, float, str]) -> dict[str, Any]:
    name, lat, lon, country = place
    w = _words(name)
    condition = dict(
        zip(("id", "main", "description", "icon"), CONDITIONS[w[0] % len(CONDITIONS)], strict=True)
    )
    temp = round(-10 + w[1] % 450 / 10, 2)
    now = int(time.time())
    return {
        "coord": {"lon": round(lon, 4), "lat": round(lat, 4)},
        "weather": [condition],
        "base": "stations",
        "main": {
            "temp": temp,
            "feels_like": round(temp - 1.3, 2),
            "temp_min": round(temp - 2.1, 2),
            "temp_max": round(temp + 1.8, 2),
            "pressure": 1000 + w[2] % 30,
            "humidity": 15 + w[3] % 86,
            "sea_level": 1000 + w[2] % 30,
            "grnd_level": 990 + w[2] % 30,
        },
        "visibility": 10000,
        "wind": {"speed": round(w[2] % 120 / 10, 2), "deg": w[3] % 360},
        "clouds": {"all": w[0] % 101},
        "dt": now - now % 600,  # stations report every ten minutes or so
        "sys": {
            "type": 2,
            "id": 2_000_000 + w[0] % 10_000,
            "country": country,
            "sunrise": now - 20_000,
            "sunset": now + 20_000,
        },
        "timezone": 0,
        "id": 5_000_000 + w[1] % 1_000_000,
        "name": name,
        "cod": 200,
    }


# Bodies for the broken modes, served with 200.
BROKEN = {
    "bad_json": b'{"coord":{"lon":-121.8950,"lat":37.3394},"weather":[{"id":80',
    "missing_fields": b'{"coord":{"lon":-121.895,"lat":37.3394},"name":"San Jose","cod":200}',
    "wrong_shape": b'{"main":[22.5,65],"weather":"clouds","name":"San Jose","cod":200}',
}

# OpenWeatherMap's own error bodies; note `cod` is a number in some and a string in others.
INVALID_KEY = {
    "cod": 401,
    "message": "Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.",
}
CITY_NOT_FOUND = {"cod": "404", "message": "city not found"}
NOTHING_TO_GEOCODE = {"cod": "400", "message": "Nothing to geocode"}
_JSON = b"application/json; charset=utf-8"
_RATE_LIMITED = (
    b'{"cod":429,"message":"Your account is temporary blocked due to exceeding of requests '
    b"limitation of your subscription type. Please choose the proper subscription "
    b'https://openweathermap.org/price"}'
)
_GATEWAY_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
    b"<h1>503 Service Temporarily Unavailable</h1></center><hr><center>openresty</center>"
    b"</body></html>\r\n"
)
ERRORS: dict[str, tuple[int, bytes, bytes]] = {  # mode -> (status, content type, body)
    "error429": (429, _JSON, _RATE_LIMITED),
    "error500": (500, _JSON, b'{"cod":"500","message":"Internal error"}'),
    "error503": (503, b"text/html", _GATEWAY_503),
}
