"""The caching headers of a /weather answer, from the result alone."""

from __future__ import annotations

from dataclasses import replace

from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.weather import Weather
from entrypoints.http import caching_headers
from entrypoints.http.caching_headers import cache_control, etag, last_modified

WEATHER = Weather(city="Boise", temperature=3.0, humidity=65, description="Fog")
FRESH = WeatherResult(
    weather=WEATHER,
    outcome=CacheOutcome.HIT,
    age_s=100.4,
    fresh_for_s=219.6,
    stale_for_s=86_299.6,
    fetched_at=1_764_000_000.25,
)


def header(result: WeatherResult) -> bytes:
    return cache_control(caching_headers.max_age(result), caching_headers.stale_window(result))


def test_a_fresh_answer_may_be_kept_fresh_as_long_as_skycache_keeps_it_then_served_stale() -> None:
    assert header(FRESH) == (
        b"public, max-age=220, stale-while-revalidate=86080, stale-if-error=86080"
    )


def test_a_stale_answer_has_no_freshness_left_and_only_its_stale_window() -> None:
    stale = replace(FRESH, outcome=CacheOutcome.STALE, fresh_for_s=0.0, stale_for_s=500.0)
    assert header(stale) == b"public, max-age=0, stale-while-revalidate=500, stale-if-error=500"


def test_the_etag_is_strong_and_a_function_of_the_weather_and_its_units_only() -> None:
    tag = etag(FRESH, b"metric")
    later = replace(FRESH, age_s=250.0, fresh_for_s=70.0, outcome=CacheOutcome.HIT)
    refetched_same = replace(FRESH, fetched_at=FRESH.fetched_at + 300)
    assert tag.startswith(b'"') and tag.endswith(b'"')
    assert etag(later, b"metric") == etag(refetched_same, b"metric") == tag
    assert etag(FRESH, b"imperial") != tag
    warmer = replace(FRESH, weather=replace(WEATHER, temperature=3.1))
    assert etag(warmer, b"metric") != tag


def test_last_modified_is_the_fetch_as_an_http_date() -> None:
    assert last_modified(FRESH) == b"Mon, 24 Nov 2025 16:00:00 GMT"
