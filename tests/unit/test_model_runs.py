"""RunFreshness: a part is fresh until its model's next run plus the margin, within bounds."""

from __future__ import annotations

import math

import pytest

from domain.model.model_runs import ModelRun, RunFreshness

NOW = 1_717_243_200.0
HOUR = 3600.0
RULES = RunFreshness(margin_s=900.0, fallback_ttl_s=600.0)
FALLBACK = NOW + 600.0


def test_a_part_lasts_until_the_next_run_plus_the_margin() -> None:
    run = ModelRun(available_at=NOW - 1200.0, interval_s=HOUR)
    assert RULES.fresh_until([run], NOW) == NOW - 1200.0 + HOUR + 900.0


def test_several_models_follow_the_earliest_next_run() -> None:
    hourly = ModelRun(NOW - 600.0, HOUR)
    six_hourly = ModelRun(NOW - 600.0, 6 * HOUR)
    assert RULES.fresh_until([six_hourly, hourly], NOW) == NOW - 600.0 + HOUR + 900.0


def test_an_unknown_model_among_others_bounds_them_by_the_fallback() -> None:
    assert RULES.fresh_until([ModelRun(NOW, 6 * HOUR), None], NOW) == FALLBACK
    assert RULES.fresh_until([], NOW) == FALLBACK


@pytest.mark.parametrize(
    ("interval_s", "follows"),
    [(599.0, False), (600.0, True), (7 * 86_400.0, True), (7 * 86_400.0 + 1, False)],
)
def test_the_interval_is_trusted_from_ten_minutes_to_a_week(
    interval_s: float, follows: bool
) -> None:
    run = ModelRun(NOW, interval_s)
    expected = NOW + interval_s + 900.0 if follows else FALLBACK
    assert RULES.fresh_until([run], NOW) == expected


@pytest.mark.parametrize(
    ("available_at", "follows"),
    [
        (NOW + 300.0, True),  # our clock a little behind theirs
        (NOW + 301.0, False),  # a run from the future
        (NOW - 3 * HOUR, True),  # three intervals ago: next run long passed, see below
        (NOW - 3 * HOUR - 1, False),  # older: a model that stopped, or a stale document
    ],
)
def test_a_run_time_is_trusted_only_near_now(available_at: float, follows: bool) -> None:
    run = ModelRun(available_at, HOUR)
    ends = RULES.fresh_until([run], NOW)
    next_ready = available_at + HOUR + 900.0
    assert ends == (next_ready if follows and next_ready > NOW else FALLBACK)


def test_a_late_next_run_falls_back_to_the_ttl_rather_than_the_past() -> None:
    just_due = ModelRun(NOW - HOUR - 900.0 + 1, HOUR)
    overdue = ModelRun(NOW - HOUR - 900.0, HOUR)
    assert RULES.fresh_until([just_due], NOW) == NOW + 1
    assert RULES.fresh_until([overdue], NOW) == FALLBACK


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_falls_back(bad: float) -> None:
    assert RULES.fresh_until([ModelRun(bad, HOUR)], NOW) == FALLBACK
    assert RULES.fresh_until([ModelRun(NOW, bad)], NOW) == FALLBACK
