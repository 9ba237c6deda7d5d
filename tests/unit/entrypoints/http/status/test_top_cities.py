"""TopCities: the cities asked for most over the last minutes, in bounded memory."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from entrypoints.http.status.top_cities import CityCounts, TopCities
from tests.unit.fakes import FakeClock


def ask(top: CityCounts | TopCities, query: str, times: int = 1) -> None:
    for _ in range(times):
        top.add(query.encode())


def test_spellings_of_one_city_count_together_under_its_first_spelling() -> None:
    top = TopCities(CityCounts(clock=FakeClock()))
    ask(top, "city=Paris", 3)
    ask(top, "city=paris", 2)
    ask(top, "city=Oslo", 4)
    ask(top, "city=%20PARIS%20")
    assert top.top() == [("Paris", 6), ("Oslo", 4)]


def test_bad_names_and_other_queries_are_counted_but_never_listed() -> None:
    top = TopCities(CityCounts(clock=FakeClock()))
    ask(top, "city=*")
    ask(top, "town=Paris")
    ask(top, "city=Lima")
    assert top.top() == [("Lima", 1)]


def test_requests_older_than_the_window_drop_out() -> None:
    clock = FakeClock()
    top = TopCities(CityCounts(window_s=300, bucket_s=60, clock=clock))
    ask(top, "city=Paris", 5)
    clock.advance(200)
    ask(top, "city=Oslo", 2)
    assert top.top() == [("Paris", 5), ("Oslo", 2)]
    clock.advance(161)  # the minute Paris was counted in ended more than 300 s ago
    assert top.top() == [("Oslo", 2)]
    clock.advance(300)
    assert top.top() == []


def test_a_flood_of_one_off_names_keeps_memory_bounded_and_the_hot_city_listed() -> None:
    top = CityCounts(max_keys=64, clock=FakeClock())
    ask(top, "city=Paris", 10)
    for n in range(5_000):
        ask(top, f"city=Town{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}{chr(97 + n // 676)}")
    ask(top, "city=Paris", 10)
    assert max(top.by_city().values(), key=lambda named: named[1]) == ("Paris", 20)
    assert len(top.by_city()) <= 64
    assert top.others > 4_000


def test_workers_sharing_a_directory_each_list_the_instance_s_top(tmp_path: Path) -> None:
    this = TopCities(CityCounts(clock=FakeClock()), directory=tmp_path)
    ask(this, "city=Oslo", 2)
    assert this.share()  # what a timer does every 2 s in a served app
    # Another worker's file, as its TopCities writes it.
    (tmp_path / "top-cities-1.json").write_text(
        json.dumps({"paris": ["Paris", 5], "oslo": ["OSLO", 1]})
    )
    assert this.top() == [("Paris", 5), ("Oslo", 3)]
    mine = json.loads((tmp_path / f"top-cities-{os.getpid()}.json").read_text())
    assert mine == {"oslo": ["Oslo", 2]}


def test_a_file_left_unrefreshed_is_a_worker_gone_and_left_out(tmp_path: Path) -> None:
    this = TopCities(CityCounts(clock=FakeClock()), directory=tmp_path, every_s=2.0)
    gone = tmp_path / "top-cities-1.json"
    gone.write_text(json.dumps({"paris": ["Paris", 5]}))
    os.utime(gone, (time.time() - 60, time.time() - 60))
    assert this.top() == []
