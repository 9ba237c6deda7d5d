"""The caching headers of a /weather answer: a Date and max-age that an Age-aware cache
(RFC 9111 arithmetic) reads as Skycache means them, and Last-Modified never after Date."""

from __future__ import annotations

from dataclasses import replace
from email.utils import parsedate_to_datetime

import pytest

from domain.model.outcome import WeatherResult
from entrypoints.http.weather.freshness import Lifetime, lifetime, moment
from entrypoints.http.weather.rendered import render
from tests.support.age_aware_cache import Stored, directives
from tests.unit.entrypoints.http.weather.results import FETCHED_AT, FRESH, NOW, STALE


def headers_at(result: WeatherResult, rendered_at: float, sent_at: float) -> dict[str, str]:
    at = render(result, now=rendered_at).moment(sent_at)
    return {name.decode(): value.decode() for name, value in at}


def epoch(http_date: str) -> float:
    return parsedate_to_datetime(http_date).timestamp()


@pytest.mark.parametrize("sent_after_s", [0.0, 0.3, 0.99, 1.7])
def test_date_plus_max_age_ends_within_the_last_second_of_freshness(sent_after_s: float) -> None:
    fresh_until = FETCHED_AT + 320
    headers = headers_at(FRESH, NOW, NOW + sent_after_s)
    ends = epoch(headers["date"]) + int(directives(headers["cache-control"])["max-age"])
    assert fresh_until - 1 < ends <= fresh_until
    assert "age" not in headers


@pytest.mark.parametrize(
    ("left_s", "max_age"),
    [(0.4, 0), (1.0, 1), (1.6, 1), (300.0, 300)],  # from a whole-second Date
)
def test_max_age_is_the_whole_seconds_of_freshness_left_from_the_date(
    left_s: float, max_age: int
) -> None:
    life = Lifetime(2_000.0 + left_s, 90_000.0, 1_000)
    control = directives(dict(moment(life, 2_000.0))[b"cache-control"].decode())
    assert int(control["max-age"]) == max_age
    assert int(control["stale-while-revalidate"]) == 88_000 - max_age


def test_a_stale_answer_may_be_kept_one_second_then_served_stale_for_the_rest() -> None:
    headers = headers_at(STALE, NOW, NOW)
    assert headers["cache-control"] == (
        "public, max-age=1, stale-while-revalidate=86299, stale-if-error=86299"
    )


def test_a_stale_answer_near_its_end_is_kept_no_longer_than_it_is_served() -> None:
    life = lifetime(replace(STALE, stale_for_s=0.3), NOW)
    control = directives(dict(moment(life, NOW))[b"cache-control"].decode())
    assert (control["max-age"], control["stale-while-revalidate"]) == ("0", "0")


def test_last_modified_is_the_fetch_for_a_fresh_answer_and_the_render_for_a_stale_one() -> None:
    fresh, stale = headers_at(FRESH, NOW, NOW), headers_at(STALE, NOW, NOW + 2)
    assert fresh["last-modified"] == "Mon, 24 Nov 2025 16:00:00 GMT"
    assert epoch(stale["last-modified"]) == int(NOW)  # later than any fresh copy's
    assert epoch(stale["last-modified"]) < epoch(stale["date"])


@pytest.mark.parametrize("skew_s", [0.0, 0.5, 3.0])
def test_last_modified_is_never_after_date_even_for_a_fetch_this_second_or_ahead(
    skew_s: float,
) -> None:
    # Another instance's clock may be ahead of ours: its fetch is "later" than our now.
    just_fetched = replace(FRESH, age_s=0.0, fetched_at=NOW + skew_s)
    headers = headers_at(just_fetched, NOW, NOW)
    assert epoch(headers["last-modified"]) <= epoch(headers["date"])


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.8])
@pytest.mark.parametrize("near_cache_s", [0.0, 0.6])
@pytest.mark.parametrize("age_s", [0.0, 100.4, 319.5])
def test_an_age_aware_cache_keeps_a_hit_fresh_until_skycache_would_and_no_longer(
    delay_s: float, near_cache_s: float, age_s: float
) -> None:
    """RFC 9111 4.2: fresh while freshness_lifetime > current_age, with current_age from
    Date, Age and the response delay. The answer is rendered at `sent - near_cache_s` (a
    near-cache hit is rendered when it was stored) and reaches the cache `delay_s` later."""
    fresh_until = FETCHED_AT + 320
    result = replace(FRESH, age_s=age_s, fresh_for_s=320 - age_s)
    rendered_at = FETCHED_AT + age_s
    sent = rendered_at + near_cache_s
    headers = headers_at(result, rendered_at, sent)
    cache = Stored.of(headers, request_time=sent - delay_s / 2, response_time=sent + delay_s / 2)
    assert cache.fresh_until() <= fresh_until
    assert cache.fresh_until() > fresh_until - 1 - delay_s
    assert cache.is_fresh(fresh_until - 1 - delay_s) or fresh_until - sent <= 1 + delay_s
    assert not cache.is_fresh(fresh_until)


def test_the_old_countdown_with_age_would_have_expired_a_300_s_entry_at_150_s() -> None:
    """What the arithmetic makes of max-age counting down beside Age counting up."""
    headers = {"date": "Mon, 24 Nov 2025 16:02:30 GMT", "cache-control": "max-age=150"}
    cache = Stored.of(headers | {"age": "150"}, FETCHED_AT + 150, FETCHED_AT + 150)
    assert cache.fresh_until() == pytest.approx(FETCHED_AT + 150)
    assert Stored.of(headers, FETCHED_AT + 150, FETCHED_AT + 150).fresh_until() == (
        pytest.approx(FETCHED_AT + 300)
    )
