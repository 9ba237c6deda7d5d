"""ExpiryHeap: the keys past their time are found by popping them, never by a scan."""

from __future__ import annotations

from collections.abc import Iterable

from adapters.expiry import REBUILD_FACTOR, REBUILD_SLACK, SWEEP_PER_WRITE, Expiring, ExpiryHeap


class TimedKeys(Expiring):
    """The smallest owner: key -> expiry time, written through the heap like a cache."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.heap = ExpiryHeap()

    def write(self, key: str, expires_at: float, now: float) -> None:
        self.times[key] = expires_at
        self.heap.add(key, expires_at)
        self.heap.sweep(now, self)

    def expires_at(self, key: str) -> float | None:
        return self.times.get(key)

    def forget(self, key: str) -> None:
        self.times.pop(key, None)

    def expiry_times(self) -> Iterable[tuple[float, str]]:
        return ((at, key) for key, at in self.times.items())

    def __len__(self) -> int:
        return len(self.times)


def test_a_key_just_before_its_time_is_kept_and_at_its_time_is_dropped() -> None:
    keys = TimedKeys()
    keys.write("once", 10.0, now=0.0)
    keys.write("other", 100.0, now=9.999)
    assert "once" in keys.times
    keys.write("another", 100.0, now=10.0)
    assert "once" not in keys.times


def test_a_key_rewritten_with_a_later_time_outlives_its_first_one() -> None:
    keys = TimedKeys()
    keys.write("hot", 10.0, now=0.0)
    keys.write("hot", 20.0, now=5.0)
    keys.write("other", 100.0, now=15.0)  # pops hot's first pair: outdated, so kept
    assert keys.times["hot"] == 20.0
    keys.write("another", 100.0, now=20.0)
    assert "hot" not in keys.times


def test_distinct_keys_each_expiring_leave_only_the_live_ones_held() -> None:
    keys = TimedKeys()
    for second in range(10_000):  # a new key a second, each living 10 s
        keys.write(f"name-{second}", second + 10.0, now=float(second))
    assert len(keys) == 10  # the ten written in the last ten seconds
    assert len(keys.heap) <= len(keys) + 1


def test_a_write_examines_at_most_a_few_pairs_and_a_backlog_still_drains() -> None:
    keys = TimedKeys()
    for n in range(1_000):  # a burst with one time: all due together
        keys.write(f"burst-{n}", 10.0, now=0.0)
    writes = 0
    # Bounded: each write adds a live key, so the loop ends on the burst, not on len(keys).
    while any(key.startswith("burst-") for key in keys.times) and writes <= 1_000:
        before = keys.heap.examined
        keys.write(f"late-{writes}", 1e9, now=10.0 + writes)
        assert keys.heap.examined - before <= SWEEP_PER_WRITE
        writes += 1
    # Each write drops up to SWEEP_PER_WRITE due keys and adds one live: the backlog
    # shrinks by at least SWEEP_PER_WRITE - 1 a write.
    assert writes <= 1_000 // (SWEEP_PER_WRITE - 1) + 1


def test_keys_rewritten_before_they_expire_never_grow_the_heap_past_its_bound() -> None:
    keys = TimedKeys()
    writes = 20_000
    for n in range(writes):  # 100 hot keys, each rewritten long before it would expire
        keys.write(f"hot-{n % 100}", n + 86_400.0, now=float(n))
        assert len(keys.heap) <= REBUILD_FACTOR * len(keys) + REBUILD_SLACK + 1
    # The rebuilds' work, spread over the writes: one pair rebuilt per write at most.
    assert keys.heap.examined <= writes
