"""A change of WEATHER_PROVIDER: no store serves another provider's entries as ours.

Each test fills a store the way a process with one provider chain would, then asks
through a process configured with another, as after a restart with a new setting.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from adapters.host.copies import HostCopies
from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from adapters.memory.metrics import MemoryMetrics
from adapters.providers.simulated import SimulatedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.system_clock import SystemClock
from domain.model.entry import CacheEntry
from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.provenance import ProviderChain
from domain.model.query import WeatherQuery
from domain.use_cases.get_weather import GetWeather, Seen
from entrypoints.settings import Settings
from entrypoints.wiring.upstream import upstreams
from ports.cache import Cache
from ports.provider import WeatherProvider
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.test_fallback_cache import SwitchableCache
from tests.unit.use_case import get_weather_over

SAN_JOSE = WeatherQuery.parse("San Jose")
POLICY = CachePolicy(fresh_ttl_s=300, jitter_max_s=0)


def named(name: str) -> FakeProvider:
    provider = FakeProvider({"san jose": 18.0, "nowhere town": 9.0})
    provider.name = name
    return provider


def serving(cache: Cache, provider: WeatherProvider, clock: FakeClock) -> GetWeather:
    return get_weather_over(cache, provider, clock, POLICY)


async def test_a_city_the_simulated_provider_cached_is_fetched_anew_by_open_meteo(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    simulated = await serving(cache, SimulatedProvider(), clock)(SAN_JOSE)
    assert simulated.weather.provider == "simulated"
    open_meteo = named("open-meteo")

    result = await serving(cache, open_meteo, clock)(SAN_JOSE)

    assert result.outcome is CacheOutcome.MISS
    assert (result.weather.provider, result.weather.temperature) == ("open-meteo", 18.0)
    assert open_meteo.calls == ["san jose"]


async def test_a_simulated_not_found_is_not_negative_for_the_next_provider(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    nowhere = WeatherQuery.parse("Nowhere Town")
    with pytest.raises(CityNotFound):
        await serving(cache, SimulatedProvider(), clock)(nowhere)

    result = await serving(cache, named("open-meteo"), clock)(nowhere)

    assert result.outcome is CacheOutcome.MISS and result.weather.temperature == 9.0


async def test_a_fallbacks_answer_is_the_chains_own_but_not_another_chains(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    first, second = named("open-meteo"), named("openweathermap")
    first.failing = UpstreamUnavailable("500")
    chain = FailoverProvider([first, second])
    assert (await serving(cache, chain, clock)(SAN_JOSE)).weather.provider == "openweathermap"

    first.failing = None
    assert (await serving(cache, chain, clock)(SAN_JOSE)).outcome is CacheOutcome.HIT
    alone = await serving(cache, first, clock)(SAN_JOSE)  # WEATHER_PROVIDER=open-meteo
    assert (alone.outcome, alone.weather.provider) == (CacheOutcome.MISS, "open-meteo")


async def test_a_negative_entry_is_final_only_for_a_chain_led_by_its_provider(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    atlantis = WeatherQuery.parse("Atlantis")
    owm = named("openweathermap")
    with pytest.raises(CityNotFound):
        await serving(cache, owm, clock)(atlantis)
    open_meteo = named("open-meteo")
    led_by_open_meteo = FailoverProvider([open_meteo, owm])

    with pytest.raises(CityNotFound) as raised:
        await serving(cache, led_by_open_meteo, clock)(atlantis)

    assert raised.value.outcome is CacheOutcome.MISS  # asked again, not NEGATIVE
    assert open_meteo.calls == ["atlantis"]


async def test_an_unusable_answer_is_remembered_only_for_the_chain_that_got_it(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    unusable = POLICY.unusable_entry(clock.now(), "no temperature", provider="openweathermap")
    await cache.put(SAN_JOSE.key, unusable, 60)

    result = await serving(cache, named("open-meteo"), clock)(SAN_JOSE)

    assert result.outcome is CacheOutcome.MISS


async def test_an_entry_written_before_entries_named_their_provider_is_fetched_anew(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    now = clock.now()
    old = CacheEntry(weather=None, fetched_at=now, fresh_until=now + 600, stale_until=now + 600)
    await cache.put(SAN_JOSE.key, old, 600)

    result = await serving(cache, named("open-meteo"), clock)(SAN_JOSE)

    assert result.outcome is CacheOutcome.MISS


async def test_a_last_good_copy_of_another_provider_is_never_served(clock: FakeClock) -> None:
    shared = MemoryCache(clock=clock)
    local = FallbackCache(shared, shared, clock=clock)
    await serving(local, SimulatedProvider(), clock)(SAN_JOSE)
    await shared.delete(SAN_JOSE.key)  # the shared cache lost it; this process kept it
    down = named("open-meteo")
    down.failing = UpstreamUnavailable("open-meteo upstream answered 500")

    with pytest.raises(UpstreamUnavailable):
        await serving(local, down, clock)(SAN_JOSE)

    assert await shared.get(SAN_JOSE.key) is None  # and nothing was written back


async def test_a_host_copy_of_another_provider_is_a_miss_after_the_switch(
    clock: FakeClock, tmp_path: Path
) -> None:
    redis = SwitchableCache()
    redis.down = True  # the copy was written during an outage that outlives a restart
    before = HostCopies(redis, redis, tmp_path, clock=clock)
    await serving(before, SimulatedProvider(), clock)(SAN_JOSE)
    after = HostCopies(redis, redis, tmp_path, clock=clock)
    open_meteo = named("open-meteo")

    result = await serving(after, open_meteo, clock)(SAN_JOSE)

    assert (result.outcome, result.weather.provider) == (CacheOutcome.MISS, "open-meteo")
    assert open_meteo.calls == ["san jose"]


async def test_the_fresh_hit_fast_path_leaves_another_providers_entry_to_a_full_call(
    clock: FakeClock,
) -> None:
    cache = MemoryCache(clock=clock)
    await serving(cache, SimulatedProvider(), clock)(SAN_JOSE)
    open_meteo = serving(cache, named("open-meteo"), clock)

    assert await open_meteo.cached_hit(SAN_JOSE) == Seen(SAN_JOSE.key, None)  # not ours
    assert (await open_meteo(SAN_JOSE)).outcome is CacheOutcome.MISS
    hit = await open_meteo.cached_hit(SAN_JOSE)
    assert not isinstance(hit, Seen) and hit.weather.provider == "open-meteo"


@pytest.mark.parametrize(
    "setting", ["simulated", "open-meteo,openweathermap", "openweathermap,simulated"]
)
async def test_the_chain_get_weather_reads_from_the_built_provider_is_weather_provider(
    setting: str,
) -> None:
    settings = Settings.from_env({"WEATHER_PROVIDER": setting, "OPENWEATHER_API_KEY": "k"})
    async with httpx.AsyncClient() as http:
        provider = upstreams(
            settings, http, MemoryCache(clock=SystemClock()), MemoryMetrics(), SystemClock()
        ).provider

    assert ProviderChain.named(provider.name).names == settings.providers
