"""The Metrics contract, held by the in-memory and the Redis adapter (on Redis, a Redis
Cluster and Valkey)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator

import pytest

import adapters
from adapters.memory.metrics import MemoryMetrics
from adapters.redis.metrics import RedisMetrics
from adapters.redis.topology import RedisClient
from domain.model.counters import CounterName
from ports.metrics import Metrics


@pytest.fixture
async def workers(shared_redis: RedisClient | None) -> AsyncIterator[list[Metrics]]:
    """Every Metrics instance sharing one backend: two on Redis, as two processes would
    have; the in-memory one is per process."""
    if shared_redis is None:
        yield [MemoryMetrics()]
        return
    yield [RedisMetrics(shared_redis), RedisMetrics(shared_redis)]


async def test_nothing_counted_is_zero(workers: list[Metrics]) -> None:
    totals = await workers[0].totals()
    assert all(totals.get(counter, 0) == 0 for counter in CounterName)


async def test_counts_are_exact_and_summed_over_every_worker(workers: list[Metrics]) -> None:
    first, last = workers[0], workers[-1]
    for _ in range(3):
        first.incr(CounterName.CACHE_HITS)
    last.incr(CounterName.CACHE_HITS, 2)
    last.incr(CounterName.API_CALLS)
    for worker in workers:
        await worker.flush()
    for worker in workers:
        totals = await worker.totals()
        assert totals.get(CounterName.CACHE_HITS) == 5
        assert totals.get(CounterName.API_CALLS) == 1
        assert totals.get(CounterName.CACHE_MISSES, 0) == 0


async def test_totals_include_what_was_not_flushed_yet(workers: list[Metrics]) -> None:
    workers[0].incr(CounterName.CACHE_MISSES, 4)
    assert (await workers[0].totals()).get(CounterName.CACHE_MISSES) == 4


async def test_a_flush_sends_each_count_once(workers: list[Metrics]) -> None:
    workers[0].incr(CounterName.STALE_SERVED)
    await workers[0].flush()
    await workers[0].flush()
    assert (await workers[-1].totals()).get(CounterName.STALE_SERVED) == 1


async def test_labelled_counts_are_summed_per_label_over_every_worker(
    workers: list[Metrics],
) -> None:
    first, last = workers[0], workers[-1]
    first.incr_labelled(CounterName.API_CALLS, "open-meteo", 2)
    last.incr_labelled(CounterName.API_CALLS, "open-meteo")
    last.incr_labelled(CounterName.API_CALLS, "openweathermap")
    first.incr_labelled(CounterName.UPSTREAM_ERRORS, "open-meteo")
    for worker in workers:
        await worker.flush()
    for worker in workers:
        calls = await worker.labelled_totals(CounterName.API_CALLS)
        errors = await worker.labelled_totals(CounterName.UPSTREAM_ERRORS)
        assert calls == {"open-meteo": 3, "openweathermap": 1}
        assert errors == {"open-meteo": 1}


async def test_labelled_counts_leave_the_plain_total_alone(workers: list[Metrics]) -> None:
    workers[0].incr(CounterName.API_CALLS)
    workers[0].incr_labelled(CounterName.API_CALLS, "open-meteo", 5)
    await workers[0].flush()
    assert (await workers[-1].totals()).get(CounterName.API_CALLS) == 1
    assert await workers[-1].labelled_totals(CounterName.CACHE_HITS) == {}


def _metrics_adapters() -> list[type]:
    for module in pkgutil.walk_packages(adapters.__path__, "adapters."):
        importlib.import_module(module.name)
    found, todo = [], list(Metrics.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("adapter", _metrics_adapters(), ids=lambda cls: cls.__name__)
def test_every_metrics_adapter_defines_every_method_of_the_port(adapter: type) -> None:
    # A class that names the Protocol as its base inherits its `...` bodies: a method it
    # forgets would silently return None instead of failing.
    port_methods = {name for name in vars(Metrics) if not name.startswith("_")}
    missing = {name for name in port_methods if getattr(adapter, name) is getattr(Metrics, name)}
    assert not missing, f"{adapter.__name__} does not implement {sorted(missing)}"
