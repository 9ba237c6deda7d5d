"""RenderedHits: a shared-cache hit is rendered again exactly when its bytes would change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.model.outcome import WeatherResult
from entrypoints.http.weather.rendered import render
from entrypoints.http.weather.rendered_hits import REUSABLE_S, RenderedHits
from tests.unit.entrypoints.http.weather.results import FRESH, NOW, VARIANTS, WEATHER

BOISE = b"city=Boise"


def hits(max_items: int = 8) -> RenderedHits:
    return RenderedHits(max_items, clock=lambda: NOW)


def test_a_reread_of_the_same_entry_in_the_same_second_of_age_is_not_rendered_again() -> None:
    rendered = hits()
    first = rendered.render(BOISE, FRESH, "metric")
    again = rendered.render(BOISE, replace(FRESH, age_s=100.9), "metric")  # same whole second
    assert again is first


@pytest.mark.parametrize("changed", VARIANTS[2:], ids=lambda r: f"{r.outcome}-{r.age_s}")
def test_whatever_changes_the_bytes_is_rendered_again_as_render_would(
    changed: WeatherResult,
) -> None:
    rendered = hits()
    first = rendered.render(BOISE, FRESH, "metric")
    answer = rendered.render(BOISE, changed, "metric")
    expected = render(changed, "metric", NOW)
    assert answer is not first
    assert (answer.body, answer.tag, answer.length) == (
        expected.body,
        expected.tag,
        expected.length,
    )
    assert answer.moment(NOW) == expected.moment(NOW)


def test_a_new_read_of_equal_weather_is_rendered_again() -> None:
    # Another object: an entry rewritten in the shared cache, even with equal weather.
    rendered = hits()
    first = rendered.render(BOISE, FRESH, "metric")
    assert rendered.render(BOISE, replace(FRESH, weather=replace(WEATHER)), "metric") is not first


def test_freshness_that_moves_by_a_whole_second_changes_max_age_so_it_is_rendered_again() -> None:
    rendered = hits()
    first = rendered.render(BOISE, FRESH, "metric")
    longer = replace(FRESH, fresh_for_s=FRESH.fresh_for_s + 1)  # same weather, freshness moved
    answer = rendered.render(BOISE, longer, "metric")
    assert answer is not first
    assert answer.moment(NOW).cache_control != first.moment(NOW).cache_control


def test_each_query_string_and_its_units_keep_their_own_answer() -> None:
    rendered = hits()
    metric = rendered.render(BOISE, FRESH, "metric")
    imperial = rendered.render(b"city=Boise&units=imperial", FRESH, "imperial")
    assert metric.body != imperial.body
    assert rendered.render(BOISE, FRESH, "metric") is metric


def test_at_most_max_items_are_kept_the_oldest_out() -> None:
    rendered = hits(max_items=2)
    first = rendered.render(b"city=A", FRESH, "metric")
    second = rendered.render(b"city=B", FRESH, "metric")
    assert len(rendered) == 2  # just inside the bound: both kept
    assert rendered.render(b"city=A", FRESH, "metric") is first
    rendered.render(b"city=C", FRESH, "metric")  # one over: the oldest stored goes
    assert len(rendered) == 2
    assert rendered.render(b"city=B", FRESH, "metric") is second
    assert rendered.render(b"city=A", FRESH, "metric") is not first


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_until_it_cannot_be_reused_and_dropped_by_a_later_render() -> None:
    clock = Clock()
    rendered = RenderedHits(8, clock=clock)
    rendered.render(b"lat=1&lon=1", FRESH, "metric")  # a point asked once
    clock.now = NOW + REUSABLE_S - 0.001
    rendered.render(BOISE, FRESH, "metric")
    assert len(rendered) == 2
    clock.now = NOW + REUSABLE_S
    rendered.render(BOISE, replace(FRESH, age_s=102.4), "metric")  # its age moved on
    assert len(rendered) == 1


def test_query_strings_asked_once_each_leave_only_the_last_seconds_answers() -> None:
    clock = Clock()
    rendered = RenderedHits(4096, clock=clock)
    for n in range(1_000):  # a new query string every 0.1 s
        rendered.render(b"city=A%d" % n, FRESH, "metric")
        clock.now += 0.1
    assert len(rendered) <= REUSABLE_S / 0.1 + 1


def test_a_hit_reused_within_its_second_is_not_dropped_by_renders_around_it() -> None:
    clock = Clock()
    rendered = RenderedHits(8, clock=clock)
    first = rendered.render(BOISE, FRESH, "metric")
    clock.now += 0.5
    rendered.render(b"city=Other", FRESH, "metric")
    assert rendered.render(BOISE, FRESH, "metric") is first
