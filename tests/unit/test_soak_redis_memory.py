"""The soak's Redis memory, judged: a step after a fault and a plateau is no leak; a rise to
the end is. What is measured (stored data, not the backlog or clients' memory):
tests/integration/test_soak_sampler.py."""

from __future__ import annotations

from bench.soak.sampler import Samples, slope
from bench.soak.trend import WARMUP_S, slopes

T0 = 1_800_000_000.0


def _redis_mb(values: list[float]) -> Samples:
    samples = Samples()
    for n, value in enumerate(values):
        samples.add("redis_mb", T0 + 5 * n, value)
    return samples


def test_a_step_then_a_plateau_is_no_trend_but_a_steady_rise_is() -> None:
    # A Sentinel run's primary less its backlog: 1.6 MB, then 2.0 MB after an eviction
    # fault grew its key table (here past the warm-up, in the first half), flat after.
    noise = [0.03 * ((n * 7) % 5 - 2) for n in range(110)]
    first = int(WARMUP_S // 5)
    step = [1.6 + (0.4 if n >= first + 9 else 0.0) + noise[n] for n in range(110)]
    rise = [1.6 + 0.004 * n + noise[n] for n in range(110)]  # +2.9 MB/h, to the end
    fitted = slope([(T0 + 5 * n, v) for n, v in enumerate(step) if n >= first])
    assert fitted is not None and fitted.above_noise  # what a line over the run says
    assert not slopes(_redis_mb(step), [])["redis_mb"]["trend"]
    assert slopes(_redis_mb(rise), [])["redis_mb"]["trend"]


def test_a_step_in_the_later_half_is_still_a_trend() -> None:
    # The rule forgives a step early in the run, not one at its end: that may be a rise.
    late = [1.6 + (0.4 if n >= 80 else 0.0) + 0.02 * (n % 2) for n in range(110)]
    assert slopes(_redis_mb(late), [])["redis_mb"]["trend"]
