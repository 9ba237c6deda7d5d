"""The soak's Redis memory: a replica's backlog filling to its cap is no leak; data is."""

from __future__ import annotations

from bench.soak.sampler import Samples, memory_mb, slope
from bench.soak.trend import WARMUP_S, slopes

T0 = 1_800_000_000.0
BACKLOG_CAP = 1024 * 1024  # repl-backlog-size's default
BASE = 1_900_000  # a node's memory with no backlog: dataset, clients, overhead
RELAYED_PER_S = 4_000  # the writes a soak's replica relays, as a 10-minute run measured


def _info(used: int, backlog: int) -> dict[str, int]:
    return {"used_memory": used, "mem_replication_backlog": backlog}


def _replica(seconds: range, *, dataset_per_s: int = 0) -> list[tuple[float, dict[str, int]]]:
    """INFO memory every 5 s of a replica just resynced: its backlog starts near empty and
    grows with what it relays, up to the cap; a little noise from clients' buffers."""
    rows = []
    for s in seconds:
        backlog = min(20_000 + RELAYED_PER_S * s, BACKLOG_CAP)
        noise = 30_000 if s % 10 else -30_000
        rows.append((T0 + s, _info(BASE + dataset_per_s * s + noise + backlog, backlog)))
    return rows


def test_a_backlog_filling_to_its_cap_rises_in_used_memory_but_not_in_the_soak_measure() -> None:
    rows = _replica(range(40, 150, 5))  # a 2.5-minute run after its warm-up
    used = slope([(t, info["used_memory"] / 2**20) for t, info in rows])
    measured = slope([(t, memory_mb(info)) for t, info in rows])
    assert used is not None and used.above_noise  # what the short runs flagged
    assert measured is not None and not measured.above_noise


def test_data_that_keeps_growing_is_still_a_trend_beside_a_full_backlog() -> None:
    rows = _replica(range(300, 410, 5), dataset_per_s=RELAYED_PER_S)  # backlog at its cap
    measured = slope([(t, memory_mb(info)) for t, info in rows])
    assert measured is not None and measured.above_noise
    assert round(measured.per_hour) == round(RELAYED_PER_S * 3600 / 2**20)


def test_a_node_without_a_backlog_counts_all_its_memory() -> None:
    assert memory_mb({"used_memory": 3 * 2**20}) == 3.0
    assert memory_mb(_info(3 * 2**20, BACKLOG_CAP)) == 2.0


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
