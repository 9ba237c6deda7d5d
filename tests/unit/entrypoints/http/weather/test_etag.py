"""The strong ETag of a /weather answer: it names the very bytes of the body."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.model.outcome import WeatherResult
from entrypoints.http.weather.etag import MAX_TAGS, etag, tags_held
from entrypoints.http.weather.rendered import encode_body
from entrypoints.http.weather.units import UNITS, Units
from tests.unit.entrypoints.http.weather.results import FRESH, STALE, VARIANTS, WEATHER


@pytest.mark.parametrize("units", UNITS)
def test_two_answers_share_an_etag_exactly_when_their_bodies_are_the_same_bytes(
    units: Units,
) -> None:
    for a in VARIANTS:
        for b in VARIANTS:
            same_bytes = encode_body(a, units) == encode_body(b, units)
            assert (etag(a, units.encode()) == etag(b, units.encode())) == same_bytes, (a, b)


def test_the_etag_is_strong_and_differs_between_units_and_between_fresh_and_stale() -> None:
    tag = etag(FRESH, b"metric")
    assert tag.startswith(b'"') and tag.endswith(b'"')
    assert etag(FRESH, b"imperial") != tag
    assert etag(STALE, b"metric") != tag  # same weather, same age: a stale body is other bytes


def _result(temperature: float) -> WeatherResult:
    return replace(FRESH, weather=replace(WEATHER, temperature=temperature))


def _fresh_tag(result: WeatherResult) -> bytes:
    """The tag as a memo that never saw this weather computes it."""
    return etag(replace(result, weather=replace(result.weather)), b"metric")


def test_the_memo_holds_a_tag_only_while_its_weather_lives_elsewhere() -> None:
    before = tags_held()
    alive = [_result(t / 10) for t in range(50)]
    assert len({etag(result, b"metric") for result in alive}) == 50
    assert tags_held() == before + 50
    del alive[25:]  # 25 weathers no longer held by anything: their tags go with them
    assert tags_held() == before + 25
    alive.clear()
    assert tags_held() == before


def test_a_weather_tagged_again_keeps_one_entry_and_the_same_tag() -> None:
    result = _result(7.0)
    first = etag(result, b"metric")
    held = tags_held()
    assert etag(result, b"metric") == first
    assert tags_held() == held
    assert etag(result, b"imperial") != first  # the other units: another body, re-tagged
    assert tags_held() == held


def test_at_the_ceiling_the_oldest_tag_goes_and_is_computed_again_the_same() -> None:
    kept = [_result(1000 + n) for n in range(MAX_TAGS + 1)]
    tags = [etag(result, b"metric") for result in kept]
    assert tags_held() == MAX_TAGS  # one over the ceiling: the oldest let go
    assert etag(kept[0], b"metric") == tags[0]  # hashed again, as when first tagged
    assert tags_held() == MAX_TAGS


def test_a_new_weather_at_a_dead_ones_address_is_never_given_its_tag() -> None:
    for n in range(200):  # CPython reuses a freed object's address at once, often
        old = _result(-100 - n)
        old_tag = etag(old, b"metric")
        address = id(old.weather)
        del old
        new = _result(100 + n)
        new_tag = etag(new, b"metric")
        assert new_tag == _fresh_tag(new) and (id(new.weather) != address or new_tag != old_tag)
