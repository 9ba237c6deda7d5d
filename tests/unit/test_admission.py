"""Admission by priority: the domain's reserves, and how GetWeather pays for its calls."""

from __future__ import annotations

import pytest

from adapters.memory.cache import MemoryCache
from adapters.providers.cached_geocoder import CachedGeocoder
from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.client import create_redis_client
from adapters.redis.shared_budget import ClientMissBudget, SharedUpstreamBudget, SharedWindows
from domain.model.admission import Admission, BudgetLimit, Priority, UpstreamCall
from domain.model.errors import CityNotFound, TooManyMisses, UpstreamBudgetSpent
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.model.weather import Location, Weather
from domain.use_cases.get_weather import Seen
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.use_case import get_weather_over

SAN_JOSE = WeatherQuery.parse("San Jose")
BOISE = WeatherQuery.parse("Boise")
MINUTE = BudgetLimit(100, 60.0, "minute")


@pytest.mark.parametrize(
    ("priority", "ceiling"), [(Priority.REFRESH, 100), (Priority.KNOWN, 95), (Priority.UNKNOWN, 80)]
)
def test_each_priority_may_fill_the_window_up_to_its_ceiling(
    priority: Priority, ceiling: int
) -> None:
    assert Admission().ceiling(priority, MINUTE) == ceiling


def test_a_tiny_budget_is_kept_whole_for_refreshes() -> None:
    tiny = BudgetLimit(3, 60.0, "minute")
    ceilings = [Admission().ceiling(p, tiny) for p in Priority]
    assert ceilings == [3, 2, 2]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Priority.UNKNOWN, Priority.KNOWN),  # a name found: raised
        (Priority.KNOWN, Priority.KNOWN),  # found again: unchanged
        (Priority.REFRESH, Priority.REFRESH),  # a refresh that geocodes: never lowered
    ],
)
def test_a_place_found_raises_a_calls_priority_and_never_lowers_it(
    before: Priority, after: Priority
) -> None:
    call = UpstreamCall(before)
    call.found()
    assert call.priority is after


def test_a_call_counts_what_it_sent_from_none() -> None:
    call = UpstreamCall()
    assert call.sent == 0  # nothing sent yet: a refund is due
    call.note_sent()
    assert call.sent == 1


async def test_without_redis_each_worker_spends_its_share() -> None:
    clock = FakeClock()
    windows = SharedWindows(shares=4)
    budget = SharedUpstreamBudget({"open-meteo": (MINUTE,)}, windows, clock)
    admitted = 0
    for _ in range(100):
        try:
            await budget.spend("open-meteo", Priority.REFRESH)
            admitted += 1
        except UpstreamBudgetSpent:
            pass
    assert admitted == 25


async def test_while_the_redis_breaker_is_open_the_share_applies_without_any_io() -> None:
    breaker = RedisBreaker(clock=FakeClock(), failures=1, cooldown_s=60)
    breaker.failed()
    client = create_redis_client("redis://127.0.0.1:9/0")  # never reached: the breaker is open
    redis = RedisWindows(client, probe_every_s=600)
    windows = SharedWindows(shares=10, redis=redis, breaker=breaker)
    budget = SharedUpstreamBudget({"open-meteo": (MINUTE,)}, windows, FakeClock())
    for _ in range(10):
        await budget.spend("open-meteo", Priority.REFRESH)

    with pytest.raises(UpstreamBudgetSpent):
        await budget.spend("open-meteo", Priority.REFRESH)
    await client.aclose()


class PriorityProvider(FakeProvider):
    """Geocodes through a CachedGeocoder over `locations`, as Open-Meteo does; records the
    priority the first call of each fetch would be paid at, as the HTTP transport reads it:
    the geocoding call, or the forecast when the place is remembered."""

    def __init__(self, locations: MemoryCache) -> None:
        super().__init__()
        self.priorities: list[Priority] = []
        self.refusal: UpstreamBudgetSpent | None = None
        self._geocoder = CachedGeocoder(self, locations)

    async def locate(self, query: WeatherQuery, call: UpstreamCall) -> Location:  # the inner one
        self.priorities.append(call.priority)
        return Location(name=query.city, latitude=1.0, longitude=2.0)

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        paid = len(self.priorities)
        await self._geocoder.locate(query, call)
        if len(self.priorities) == paid:
            self.priorities.append(call.priority)
        if self.refusal is not None:
            self.calls.append(query.key)
            raise self.refusal
        return await super().current(query, call)


class World:
    def __init__(self, misses_per_minute: int = 2) -> None:
        self.clock = FakeClock()
        self.cache = MemoryCache(clock=self.clock)
        self.provider = PriorityProvider(self.cache)
        self.misses = ClientMissBudget(
            BudgetLimit(misses_per_minute, 60.0, "minute"), SharedWindows(), self.clock
        )
        self.get_weather = get_weather_over(
            self.cache,
            self.provider,
            self.clock,
            CachePolicy(fresh_ttl_s=300, jitter_max_s=0, backoff_base_s=5),
            misses=self.misses,
        )

    async def geocoded(self, query: WeatherQuery) -> None:
        await self.cache.put_location(
            query.key, Location(name=query.city, latitude=1.0, longitude=2.0), 3_600
        )


@pytest.fixture
def world() -> World:
    return World()


async def test_a_name_never_seen_is_fetched_at_the_lowest_priority_and_spends_a_miss(
    world: World,
) -> None:
    await world.get_weather(SAN_JOSE, client="127.0.0.1")
    await world.get_weather(BOISE, client="127.0.0.1")

    assert world.provider.priorities == [Priority.UNKNOWN, Priority.UNKNOWN]
    with pytest.raises(TooManyMisses) as refused:
        await world.get_weather(WeatherQuery.parse("Atlantis"), client="127.0.0.1")
    assert refused.value.retry_after_s > 0
    assert world.provider.calls == ["san jose", "boise"]  # the refused miss cost nothing


async def test_a_known_place_is_fetched_as_known_and_paid_by_the_client_that_asked(
    world: World,
) -> None:
    await world.geocoded(SAN_JOSE)
    await world.geocoded(BOISE)
    await world.get_weather(SAN_JOSE, client="127.0.0.1")
    await world.get_weather(BOISE, client="127.0.0.1")
    assert world.provider.priorities == [Priority.KNOWN, Priority.KNOWN]

    with pytest.raises(TooManyMisses):  # its two fetches are spent, known places or not
        await world.get_weather(WeatherQuery.parse("Atlantis"), client="127.0.0.1")
    with pytest.raises(CityNotFound):
        await world.get_weather(WeatherQuery.parse("Atlantis"), client="127.0.0.2")


async def test_hits_never_touch_the_miss_budget(world: World) -> None:
    await world.get_weather(SAN_JOSE, client="127.0.0.1")
    for _ in range(50):
        hit = await world.get_weather(SAN_JOSE, client="127.0.0.1")
        assert hit.outcome is CacheOutcome.HIT
    assert not isinstance(await world.get_weather.cached_hit(SAN_JOSE), Seen)

    await world.get_weather(BOISE, client="127.0.0.1")  # the second miss of its two


async def test_one_clients_misses_do_not_spend_anothers(world: World) -> None:
    await world.get_weather(SAN_JOSE, client="127.0.0.1")
    await world.get_weather(BOISE, client="127.0.0.1")

    await world.get_weather(WeatherQuery.parse("Boise"), client="127.0.0.2")  # now a hit
    world.provider.temperatures["atlantis"] = 10.0
    result = await world.get_weather(WeatherQuery.parse("Atlantis"), client="127.0.0.2")
    assert result.outcome is CacheOutcome.MISS


async def test_a_stale_entry_is_refreshed_at_the_highest_priority(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)

    stale = await world.get_weather(SAN_JOSE, client="127.0.0.1")
    await world.get_weather.drain()

    assert stale.outcome is CacheOutcome.STALE
    assert world.provider.priorities == [Priority.UNKNOWN, Priority.REFRESH]


async def test_a_refresh_the_budget_refused_serves_stale_and_waits_for_room_without_backing_off(
    world: World,
) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)
    world.provider.refusal = UpstreamBudgetSpent("budget has no room", retry_after_s=42)

    for _ in range(10):
        result = await world.get_weather(SAN_JOSE)
        await world.get_weather.drain()
        assert result.outcome is CacheOutcome.STALE

    stored = await world.cache.get("san jose")
    assert stored is not None
    assert stored.failures == 0  # the upstream did not fail: no back-off grows
    assert stored.retry_after == pytest.approx(world.clock.now() + 42)
    assert len(world.provider.calls) == 2  # the fill, then one refused refresh

    world.provider.refusal = None
    world.clock.advance(42)
    await world.get_weather(SAN_JOSE)
    await world.get_weather.drain()
    assert (await world.get_weather(SAN_JOSE)).outcome is CacheOutcome.HIT


async def test_a_worker_counting_alone_forgets_clients_whose_misses_have_expired() -> None:
    clock = FakeClock()
    windows = SharedWindows()
    misses = ClientMissBudget(BudgetLimit(5, 60.0, "minute"), windows, clock)
    for i in range(1_000):
        await misses.take(f"10.0.{i // 256}.{i % 256}")
    clock.advance(61)

    await misses.take("10.9.9.9")

    assert len(windows._local._counts) == 1


class TwoCallProvider:
    """Geocodes through a CachedGeocoder, then 'calls' the forecast: records the priority
    each of its two calls would be paid at."""

    name = "two-call"

    def __init__(self, locations: MemoryCache) -> None:
        self.paid: list[tuple[str, Priority]] = []
        self._geocoder = CachedGeocoder(self, locations)

    async def locate(self, query: WeatherQuery, call: UpstreamCall) -> Location:  # the inner one
        self.paid.append(("geocoding", call.priority))
        return Location(name=query.city, latitude=1.0, longitude=2.0)

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        await self._geocoder.locate(query, call)
        self.paid.append(("forecast", call.priority))
        return Weather(city=query.city, temperature=1.0, humidity=50, description="Clear")

    def healthy(self) -> bool:
        return True


async def test_once_a_new_name_is_geocoded_its_forecast_is_paid_as_a_known_place() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    provider = TwoCallProvider(cache)
    get_weather = get_weather_over(cache, provider, clock, CachePolicy())

    await get_weather(SAN_JOSE, client="127.0.0.1")

    assert provider.paid == [("geocoding", Priority.UNKNOWN), ("forecast", Priority.KNOWN)]
