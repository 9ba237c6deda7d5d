"""TopCities: the cities asked for most over the last minutes, in bounded memory."""

from __future__ import annotations

from typing import Any

from entrypoints.http.top_cities import CountCities, TopCities
from tests.unit.fakes import FakeClock


def ask(top: TopCities, query: str, times: int = 1) -> None:
    for _ in range(times):
        top.add(query.encode())


def test_spellings_of_one_city_count_together_under_its_first_spelling() -> None:
    top = TopCities(clock=FakeClock().monotonic)
    ask(top, "city=Paris", 3)
    ask(top, "city=paris", 2)
    ask(top, "city=Oslo", 4)
    ask(top, "city=%20PARIS%20")
    assert top.top() == [("Paris", 6), ("Oslo", 4)]


def test_bad_names_and_other_queries_are_counted_but_never_listed() -> None:
    top = TopCities(clock=FakeClock().monotonic)
    ask(top, "city=*")
    ask(top, "town=Paris")
    ask(top, "city=Lima")
    assert top.top() == [("Lima", 1)]


def test_requests_older_than_the_window_drop_out() -> None:
    clock = FakeClock()
    top = TopCities(window_s=300, bucket_s=60, clock=clock.monotonic)
    ask(top, "city=Paris", 5)
    clock.advance(200)
    ask(top, "city=Oslo", 2)
    assert top.top() == [("Paris", 5), ("Oslo", 2)]
    clock.advance(161)  # the minute Paris was counted in ended more than 300 s ago
    assert top.top() == [("Oslo", 2)]
    clock.advance(300)
    assert top.top() == []


def test_a_flood_of_one_off_names_keeps_memory_bounded_and_the_hot_city_listed() -> None:
    top = TopCities(max_keys=64, clock=FakeClock().monotonic)
    ask(top, "city=Paris", 10)
    for n in range(5_000):
        ask(top, f"city=Town{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}{chr(97 + n // 676)}")
    ask(top, "city=Paris", 10)
    assert top.top(1) == [("Paris", 20)]
    assert sum(len(counts) for _, counts in top._buckets) <= 64
    assert top.others > 4_000


async def test_count_cities_counts_weather_requests_only_and_passes_everything_on() -> None:
    top = TopCities(clock=FakeClock().monotonic)
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])

    counted = CountCities(app, top)
    for path, query in [("/weather", b"city=Rome"), ("/stats", b"city=Oslo")]:
        await counted({"type": "http", "path": path, "query_string": query}, None, None)  # type: ignore[arg-type]
    assert seen == ["/weather", "/stats"]
    assert top.top() == [("Rome", 1)]
