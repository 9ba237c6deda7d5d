"""The soak's leak rule on synthetic series: a leak is flagged, a fill that levels off and
noise are not, and each worker's own warm-up is left out."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from bench.soak.sampler import Samples
from bench.soak.trend import FLOORS, MIN_POINTS, WARMUP_S, after_warmup, judge, slopes
from bench.soak.verdict import Phase

T0 = 1_800_000_000.0
EVERY_S = 5.0
TEN_MINUTES = int(600 / EVERY_S)


def series(
    value: Callable[[float], float],
    *,
    samples: int = TEN_MINUTES,
    start: float = T0,
    noise: float = 0.3,
) -> list[tuple[float, float]]:
    """A sample every 5 s: `value(seconds since the start)` plus uniform noise."""
    rng = random.Random(25)
    return [
        (start + i * EVERY_S, value(i * EVERY_S) + rng.uniform(-noise, noise))
        for i in range(samples)
    ]


def rss_trend(points: list[tuple[float, float]]) -> bool:
    trend = judge(after_warmup(points), "rss_mb")
    assert trend is not None
    return trend.rising


def test_a_linear_leak_over_ten_minutes_is_flagged() -> None:
    leak_mb_per_h = 2 * FLOORS["rss_mb"]
    assert rss_trend(series(lambda s: 64 + leak_mb_per_h * s / 3600))


def test_a_leak_just_above_the_floor_is_flagged_and_one_just_under_it_is_not() -> None:
    floor = FLOORS["rss_mb"]
    assert rss_trend(series(lambda s: 64 + 1.1 * floor * s / 3600, noise=0.02))
    assert not rss_trend(series(lambda s: 64 + 0.9 * floor * s / 3600, noise=0.02))


def test_a_fill_that_levels_off_after_the_warm_up_is_not_a_leak() -> None:
    # 8 MB filled at a steady pace (an LRU filling), full 4 minutes in, then flat.
    fill = series(lambda s: 64 + 8 * min(s, 240) / 240)
    assert not rss_trend(fill)
    # The same as an exponential approach (half-life a minute).
    assert not rss_trend(series(lambda s: 64 + 8 * (1 - math.exp(-s / 87))))


def test_the_same_fill_judged_from_the_start_would_have_been_flagged() -> None:
    fill = series(lambda s: 64 + 8 * min(s, 240) / 240)
    from_start = judge(fill, "rss_mb")
    assert from_start is not None and from_start.fit.above_noise  # its slope alone is no rule


def test_noise_is_not_a_leak() -> None:
    assert not rss_trend(series(lambda s: 64.0, noise=2.0))


def test_a_worker_started_late_has_its_own_warm_up_left_out() -> None:
    # Replaced by a fault five minutes in: it fills like the first did, from its own start.
    late_start = T0 + 300
    samples = Samples()
    for at, value in series(lambda s: 64 + 8 * min(s, 120) / 120, samples=60, start=late_start):
        samples.add("rss_mb:42", at, value)
    assert after_warmup(samples.series["rss_mb:42"])[0][0] >= late_start + WARMUP_S
    assert slopes(samples, [])["rss_mb"]["trend"] is False


def test_samples_during_a_fault_are_left_out_and_a_short_series_says_nothing() -> None:
    samples = Samples()
    for at, value in series(lambda s: 64.0, noise=0.0):
        spike = 30.0 if T0 + 400 <= at < T0 + 430 else 0.0
        samples.add("fds:7", at, value + spike)
    fault = Phase("redis-pause", "pause", T0 + 400, T0 + 429)
    assert slopes(samples, [fault])["fds"]["per_hour"] == 0.0
    short = [(T0 + i * EVERY_S, 64.0 + i) for i in range(MIN_POINTS - 1)]
    assert judge(short, "rss_mb") is None
