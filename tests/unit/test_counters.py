"""What each /stats counter counts, one scripted event at a time, through the real stack:
GetWeather over CountedProvider(ProtectedProvider(CountedAttempts(scripted upstream)))."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.metrics import MemoryMetrics
from adapters.resilience.counted_provider import CountedAttempts, CountedProvider
from adapters.resilience.failover import FailoverProvider
from domain.model.errors import CityNotFound, UpstreamBudgetSpent, UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.use_cases.stats import GetStats
from ports.provider import WeatherProvider
from tests.unit.fakes import FakeClock
from tests.unit.scripted_provider import (
    RATE_LIMITED,
    REFUSED,
    SERVER_ERROR,
    Outcome,
    Pauses,
    ScriptedProvider,
    protected,
)
from tests.unit.use_case import get_weather_over

BOSTON = WeatherQuery.parse("Boston")
DENVER = WeatherQuery.parse("Denver")
NOWHERE = WeatherQuery.parse("Nowhere")
BUDGET_SPENT = UpstreamBudgetSpent("open-meteo upstream budget has no room", retry_after_s=30)


class Service:
    """One process: the use case over counted, guarded scripted upstreams."""

    def __init__(self, *upstreams: ScriptedProvider, **protection: Any) -> None:
        self.clock = FakeClock()
        self.metrics = MemoryMetrics()
        self.upstreams = upstreams
        stacks: list[WeatherProvider] = [
            CountedProvider(
                protected(CountedAttempts(u, self.metrics), self.clock, Pauses(), **protection),  # type: ignore[arg-type]
                self.metrics,
            )
            for u in upstreams
        ]
        provider = stacks[0] if len(stacks) == 1 else FailoverProvider(stacks)
        policy = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, xfetch_beta=0)
        self.get_weather = get_weather_over(
            MemoryCache(clock=self.clock), provider, self.clock, policy, metrics=self.metrics
        )
        self._before: dict[str, Any] = {}

    async def ask(self, query: WeatherQuery) -> CacheOutcome | type[Exception]:
        try:
            return (await self.get_weather(query)).outcome
        except CityNotFound:
            return CityNotFound
        except UpstreamUnavailable:
            return UpstreamUnavailable

    async def stats(self) -> dict[str, Any]:
        return await GetStats(self.metrics)()

    async def mark(self) -> None:
        """Counts from here on are what `moved()` reports."""
        self._before = await self.stats()

    async def moved(self) -> dict[str, Any]:
        """Every counter that changed since `mark()`, by how much; hit_ratio left out."""
        now = await self.stats()
        changed: dict[str, Any] = {}
        for name, value in now.items():
            before = self._before.get(name)
            if isinstance(value, dict):
                delta = {k: v - (before or {}).get(k, 0) for k, v in value.items()}
                delta = {k: v for k, v in delta.items() if v}
                if delta:
                    changed[name] = delta
            elif name != "hit_ratio" and value != (before or 0):
                changed[name] = value - (before or 0)
        return changed


def one_api_call(provider: str = "scripted", *, attempts: int = 1) -> dict[str, Any]:
    """What one call to `provider`, made in `attempts` tries, moves."""
    return {
        "api_calls": 1,
        "api_attempts": attempts,
        "api_calls_by_provider": {provider: 1},
        "api_attempts_by_provider": {provider: attempts},
    }


def upstream(*script: Outcome, name: str = "scripted") -> ScriptedProvider:
    provider = ScriptedProvider(script)
    provider.name = name  # type: ignore[misc]
    return provider


async def test_a_fresh_hit_is_a_hit_that_avoided_an_api_call() -> None:
    service = Service(upstream())
    await service.ask(BOSTON)
    await service.mark()

    assert await service.ask(BOSTON) is CacheOutcome.HIT

    assert await service.moved() == {"cache_hits": 1, "avoided_api_calls": 1}


async def test_a_miss_is_a_miss_and_one_api_call() -> None:
    service = Service(upstream())

    assert await service.ask(BOSTON) is CacheOutcome.MISS

    assert await service.moved() == {"cache_misses": 1, **one_api_call()}


async def test_a_failed_miss_is_still_a_miss_and_the_call_it_made() -> None:
    service = Service(upstream(SERVER_ERROR), retries=0)

    assert await service.ask(BOSTON) is UpstreamUnavailable

    assert await service.moved() == {
        "cache_misses": 1,
        **one_api_call(),
        "upstream_errors": 1,
        "upstream_errors_by_provider": {"scripted": 1},
    }
    assert (await service.stats())["hit_ratio"] == 0.0  # not null: a request was counted


async def test_a_stale_answer_is_a_hit_and_its_background_refresh_one_api_call() -> None:
    service = Service(upstream())
    await service.ask(BOSTON)
    service.clock.advance(301)
    await service.mark()

    assert await service.ask(BOSTON) is CacheOutcome.STALE
    await service.get_weather.drain()

    assert await service.moved() == {
        "cache_hits": 1,
        "stale_served": 1,
        "avoided_api_calls": 1,
        **one_api_call(),
    }


async def test_coalesced_misses_are_misses_that_share_one_api_call() -> None:
    slow = upstream()
    slow.gate = asyncio.Event()
    service = Service(slow)

    asked = [asyncio.create_task(service.ask(BOSTON)) for _ in range(3)]
    await asyncio.sleep(0.01)
    slow.gate.set()
    outcomes = await asyncio.gather(*asked)

    assert sorted(outcomes) == [CacheOutcome.COALESCED] * 2 + [CacheOutcome.MISS]
    assert await service.moved() == {
        "cache_misses": 3,
        "coalesced": 2,
        "avoided_api_calls": 2,
        **one_api_call(),
    }


async def test_an_unknown_city_costs_one_api_call_then_is_a_negative_hit() -> None:
    service = Service(upstream(CityNotFound("Nowhere")))

    assert await service.ask(NOWHERE) is CityNotFound
    first = await service.moved()
    await service.mark()
    assert await service.ask(NOWHERE) is CityNotFound

    assert first == {"cache_misses": 1, **one_api_call()}
    assert await service.moved() == {"cache_hits": 1, "negative_hits": 1, "avoided_api_calls": 1}


async def test_a_retried_call_is_one_api_call_and_two_attempts() -> None:
    service = Service(upstream(SERVER_ERROR), retries=1)

    assert await service.ask(BOSTON) is CacheOutcome.MISS

    assert await service.moved() == {"cache_misses": 1, **one_api_call(attempts=2)}


async def test_a_miss_the_open_breaker_refused_is_a_miss_without_an_api_call() -> None:
    sick = upstream(SERVER_ERROR)
    service = Service(sick, retries=0, breaker_failures=1)
    await service.ask(BOSTON)  # opens the breaker
    await service.mark()

    assert await service.ask(DENVER) is UpstreamUnavailable

    assert sick.calls == 1
    assert await service.moved() == {"cache_misses": 1, "upstream_errors": 1}


@pytest.mark.parametrize(
    ("script", "config", "reached"),
    [
        ((RATE_LIMITED,), {"retries": 0}, 1),  # then its 429 window is in force
        # The shared budget refuses in the HTTP transport, below the adapter: the adapter
        # is called, but nothing is sent.
        ((None, BUDGET_SPENT), {}, 2),
    ],
    ids=["429-window", "call-budget"],
)
async def test_a_miss_the_guard_turned_away_before_any_io_is_no_api_call(
    script: tuple[Outcome, ...], config: dict[str, Any], reached: int
) -> None:
    service = Service(upstream(*script), **config)
    await service.ask(BOSTON)
    await service.mark()

    assert await service.ask(DENVER) is UpstreamUnavailable

    assert service.upstreams[0].calls == reached
    assert await service.moved() == {"cache_misses": 1, "upstream_errors": 1}


async def test_a_miss_that_found_no_free_call_slot_is_no_api_call() -> None:
    busy = upstream()
    busy.gate = asyncio.Event()
    service = Service(busy, concurrency=1, queue_timeout_s=0.01)
    holding = asyncio.create_task(service.ask(BOSTON))
    await asyncio.sleep(0.01)
    await service.mark()

    assert await service.ask(DENVER) is UpstreamUnavailable  # "upstream busy"

    moved = await service.moved()
    busy.gate.set()
    assert await holding is CacheOutcome.MISS
    assert busy.calls == 1
    assert moved == {
        "cache_misses": 1,
        "upstream_errors": 1,
    }


async def test_a_fetch_that_failed_over_is_one_api_call_and_a_call_of_each_provider() -> None:
    service = Service(upstream(SERVER_ERROR, name="first"), upstream(name="second"), retries=0)

    assert await service.ask(BOSTON) is CacheOutcome.MISS

    assert await service.moved() == {
        "cache_misses": 1,
        "api_calls": 1,
        "api_attempts": 2,
        "api_calls_by_provider": {"first": 1, "second": 1},
        "api_attempts_by_provider": {"first": 1, "second": 1},
        "upstream_errors_by_provider": {"first": 1},
    }


async def test_a_failover_past_a_refusing_provider_counts_only_the_provider_called() -> None:
    first, second = upstream(SERVER_ERROR, name="first"), upstream(name="second")
    service = Service(first, second, retries=0, breaker_failures=1)
    await service.ask(BOSTON)  # first fails (its breaker opens), second answers
    await service.mark()

    assert await service.ask(DENVER) is CacheOutcome.MISS

    assert first.calls == 1
    assert await service.moved() == {"cache_misses": 1, **one_api_call("second")}


async def test_the_scripted_sequence_adds_up() -> None:
    """hit, miss, failed miss, stale, coalesced, negative, retry, refused, in one run."""
    scripted = upstream(
        None,  # Boston: miss
        CityNotFound("Nowhere"),  # negative, learned by a miss
        REFUSED,  # Denver: a retry, then an answer
        None,
        None,  # Boston's background refresh once stale
        None,  # Austin: one call for three coalesced requests
        SERVER_ERROR,  # Miami: a failed miss, retried, whose two failures open the breaker
        SERVER_ERROR,
    )
    service = Service(scripted, retries=1, breaker_failures=2)
    assert await service.ask(BOSTON) is CacheOutcome.MISS
    assert await service.ask(BOSTON) is CacheOutcome.HIT
    assert await service.ask(NOWHERE) is CityNotFound
    assert await service.ask(NOWHERE) is CityNotFound  # NEGATIVE
    assert await service.ask(DENVER) is CacheOutcome.MISS
    service.clock.advance(301)
    assert await service.ask(BOSTON) is CacheOutcome.STALE
    await service.get_weather.drain()
    scripted.gate = asyncio.Event()
    austin = WeatherQuery.parse("Austin")
    asked = [asyncio.create_task(service.ask(austin)) for _ in range(3)]
    await asyncio.sleep(0.01)
    scripted.gate.set()
    await asyncio.gather(*asked)
    assert await service.ask(WeatherQuery.parse("Miami")) is UpstreamUnavailable
    assert await service.ask(WeatherQuery.parse("Tulsa")) is UpstreamUnavailable  # refused

    stats = await service.stats()

    assert scripted.calls == 8
    assert {k: v for k, v in stats.items() if v} == {
        "cache_hits": 3,  # HIT, NEGATIVE, STALE
        "cache_misses": 8,  # Boston, Nowhere, Denver, Austin x3, Miami, Tulsa
        "api_calls": 6,  # Boston, Nowhere, Denver, the refresh, Austin, Miami
        "api_attempts": 8,  # and the retries of Denver and Miami
        "avoided_api_calls": 5,  # the 3 hits and 2 coalesced
        "hit_ratio": round(3 / 11, 4),
        "stale_served": 1,
        "coalesced": 2,
        "negative_hits": 1,
        "upstream_errors": 2,  # Miami, Tulsa
        "api_calls_by_provider": {"scripted": 6},
        "api_attempts_by_provider": {"scripted": 8},
        "upstream_errors_by_provider": {"scripted": 1},
    }
