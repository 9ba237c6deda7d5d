"""What the soak keeps about each city it lost an answer for."""

from __future__ import annotations

from bench.soak.lost_cities import WINDOW_S, around_losses
from bench.soak.mix import city
from bench.soak.traffic import Outcome

T0 = 1_800_000_000.0
BALTIMORE = "39.2904,-76.6122"  # as the service sends it: rounded
BOISE = "43.6135,-116.2035"


def test_a_lost_city_keeps_its_outcomes_and_upstream_calls_within_the_window_only() -> None:
    baltimore, boise = city("Baltimore"), city("Boise")
    lost = [Outcome(T0 + 100, baltimore, 503, "upstream_wait_timed_out")]
    outcomes = [
        Outcome(T0 + 100 - WINDOW_S - 0.1, baltimore, 200, "HIT"),  # just outside
        Outcome(T0 + 100 - WINDOW_S, baltimore, 200, "MISS"),  # just inside
        *lost,
        Outcome(T0 + 101, boise, 200, "HIT"),  # another city
        Outcome(T0 + 100 + WINDOW_S + 0.1, baltimore, 200, "HIT"),  # just outside
    ]
    forecasts = [
        (BALTIMORE, T0 + 95, T0 + 95.05, "ok"),
        (BOISE, T0 + 96, T0 + 96.05, "ok"),
        (BALTIMORE, T0 + 100 + WINDOW_S + 1, T0 + 131.05, "ok"),
    ]
    kept = around_losses(lost, outcomes, forecasts)
    assert kept == {
        "baltimore": {
            "outcomes": [
                [T0 + 100 - WINDOW_S, 200, "MISS"],
                [T0 + 100, 503, "upstream_wait_timed_out"],
            ],
            "upstream": [[T0 + 95, T0 + 95.05, "ok"]],
        }
    }


def test_nothing_lost_keeps_nothing() -> None:
    assert around_losses([], [Outcome(T0, city("Boise"), 200, "HIT")], []) == {}
