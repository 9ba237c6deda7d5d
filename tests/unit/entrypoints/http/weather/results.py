"""Results of one cached Boise entry, fresh and stale, as the answer tests render them."""

from __future__ import annotations

from dataclasses import replace

from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.weather import Weather

WEATHER = Weather(city="Boise", temperature=3.0, humidity=65, description="Fog")
FETCHED_AT = 1_764_000_000.25  # Mon, 24 Nov 2025 16:00:00.25 GMT
NOW = FETCHED_AT + 100.4
FRESH = WeatherResult(
    weather=WEATHER,
    outcome=CacheOutcome.HIT,
    age_s=100.4,
    fresh_for_s=219.6,  # fresh until FETCHED_AT + 320
    stale_for_s=86_299.6,
    fetched_at=FETCHED_AT,
)
STALE = replace(FRESH, outcome=CacheOutcome.STALE, fresh_for_s=0.0)

VARIANTS = [
    FRESH,
    replace(FRESH, age_s=100.9),  # the same whole second of age: the same bytes
    replace(FRESH, age_s=101.0),
    replace(FRESH, fetched_at=FETCHED_AT + 300, fresh_for_s=10),  # refetched, same weather
    STALE,
    replace(STALE, age_s=101.0),
    replace(FRESH, weather=replace(WEATHER, temperature=3.1)),
]
