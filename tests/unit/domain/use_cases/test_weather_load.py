"""WeatherLoad: one fetch under the lease, fenced, written, and counted in its call."""

from __future__ import annotations

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.metrics import MemoryMetrics
from domain.model.admission import Priority, UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import UpstreamUnavailable
from domain.model.policy import CachePolicy
from domain.model.provenance import ProviderChain
from domain.model.query import WeatherQuery
from domain.use_cases.weather_entries import WeatherEntries
from domain.use_cases.weather_load import WeatherLoad, fence_of
from tests.unit.fakes import FakeClock, FakeProvider

BOISE = WeatherQuery.parse("Boise")


class Loading:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.provider = FakeProvider()
        self.metrics = MemoryMetrics()
        self.cache = MemoryCache(clock=self.clock)
        policy = CachePolicy(fresh_ttl_s=300, jitter_max_s=0)
        chain = ProviderChain.named(self.provider.name)
        self.load = WeatherLoad(
            entries=WeatherEntries(self.cache, chain, policy, self.clock),
            provider=self.provider,
            chain=chain,
            policy=policy,
            clock=self.clock,
            metrics=self.metrics,
            uniform=lambda: 0.5,
        )


def test_a_fence_is_the_start_in_whole_milliseconds() -> None:
    assert fence_of(1_717_243_200.1234) == 1_717_243_200_123
    assert fence_of(1_717_243_200.1235) == 1_717_243_200_124  # rounded, not cut


async def test_the_provider_is_asked_for_the_call_it_is_handed_and_the_call_counts_it() -> None:
    loading = Loading()
    call = UpstreamCall(Priority.REFRESH)

    entry = await loading.load(BOISE, call)

    assert loading.provider.admitted == [Priority.REFRESH]
    assert call.sent == 1
    assert (await loading.metrics.totals())[CounterName.API_CALLS] == 1
    assert entry.fence == fence_of(loading.clock.now())
    assert await loading.cache.get("boise") == entry


async def test_a_call_turned_away_before_any_io_is_not_sent_and_one_that_failed_is() -> None:
    loading = Loading()
    unsent, failed = UpstreamCall(), UpstreamCall()

    loading.provider.failing = UpstreamUnavailable("breaker open", attempted=False)
    with pytest.raises(UpstreamUnavailable):
        await loading.load(BOISE, unsent)
    loading.provider.failing = UpstreamUnavailable("answered 503")
    with pytest.raises(UpstreamUnavailable):
        await loading.load(BOISE, failed)

    assert (unsent.sent, failed.sent) == (0, 1)  # the first one's client is refunded
    assert (await loading.metrics.totals())[CounterName.API_CALLS] == 1
