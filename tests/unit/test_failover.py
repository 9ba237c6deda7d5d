"""FailoverProvider over fakes: order, hand-over, final answers, combined errors, health."""

from __future__ import annotations

import pytest

from adapters.memory.metrics import MemoryMetrics
from adapters.resilience.counted_provider import CountedProvider
from adapters.resilience.failover import FailoverProvider
from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import (
    CityNotFound,
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from domain.model.query import WeatherQuery
from domain.use_cases.stats import GetStats
from tests.unit.fakes import FakeProvider

SAN_JOSE = WeatherQuery.parse("San Jose")


def named(name: str) -> FakeProvider:
    provider = FakeProvider()
    provider.name = name
    return provider


@pytest.fixture
def first() -> FakeProvider:
    return named("first")


@pytest.fixture
def second() -> FakeProvider:
    return named("second")


async def test_the_first_provider_answers_while_it_works(
    first: FakeProvider, second: FakeProvider
) -> None:
    weather = await FailoverProvider([first, second]).current(SAN_JOSE, UpstreamCall())

    assert weather.provider == "first"
    assert (first.calls, second.calls) == (["san jose"], [])


@pytest.mark.parametrize(
    "error",
    [
        UpstreamUnavailable("503"),
        UpstreamRateLimited("429", retry_after_s=60),
        UpstreamBadResponse("truncated JSON"),
    ],
    ids=["unavailable", "rate-limited", "bad-response"],
)
async def test_a_failing_provider_hands_over_to_the_next(
    first: FakeProvider, second: FakeProvider, error: UpstreamUnavailable
) -> None:
    first.failing = error

    weather = await FailoverProvider([first, second]).current(SAN_JOSE, UpstreamCall())

    assert weather.provider == "second"
    assert (first.calls, second.calls) == (["san jose"], ["san jose"])


async def test_the_first_providers_unknown_city_is_final_and_never_asked_of_the_next(
    first: FakeProvider, second: FakeProvider
) -> None:
    with pytest.raises(CityNotFound) as raised:
        await FailoverProvider([first, second]).current(
            WeatherQuery.parse("Atlantis"), UpstreamCall()
        )

    assert raised.value.final is True
    assert second.calls == []


async def test_a_stand_ins_unknown_city_ends_the_search_but_is_not_final(
    first: FakeProvider, second: FakeProvider
) -> None:
    first.failing = UpstreamUnavailable("503")
    third = named("third")

    with pytest.raises(CityNotFound) as raised:
        await FailoverProvider([first, second, third]).current(
            WeatherQuery.parse("Atlantis"), UpstreamCall()
        )

    assert raised.value.final is False  # the first could not be asked: not to be cached
    assert str(raised.value) == "second knows no such city (first: 503)"
    assert third.calls == []


async def test_an_unhealthy_provider_is_still_asked_so_its_guard_can_probe_it(
    first: FakeProvider, second: FakeProvider
) -> None:
    first.failing = UpstreamUnavailable("503")
    failover = FailoverProvider([first, second])
    await failover.current(SAN_JOSE, UpstreamCall())
    assert not first.healthy()

    first.failing = None  # recovered: the next request is its again
    weather = await failover.current(SAN_JOSE, UpstreamCall())

    assert weather.provider == "first"


async def test_when_every_provider_fails_the_error_names_each_reason(
    first: FakeProvider, second: FakeProvider
) -> None:
    first.failing = UpstreamUnavailable("open-meteo upstream timed out")
    second.failing = UpstreamRateLimited("openweathermap answered 429", retry_after_s=60)

    with pytest.raises(UpstreamUnavailable) as raised:
        await FailoverProvider([first, second]).current(SAN_JOSE, UpstreamCall())

    assert type(raised.value) is UpstreamUnavailable
    assert raised.value.reason == (
        "every provider failed: first: open-meteo upstream timed out; "
        "second: openweathermap answered 429"
    )
    assert raised.value.retry_after_s is None  # the first one gave no hint


async def test_when_every_provider_is_rate_limited_the_soonest_window_is_the_hint(
    first: FakeProvider, second: FakeProvider
) -> None:
    first.failing = UpstreamRateLimited("429", retry_after_s=3_600)
    second.failing = UpstreamRateLimited("429", retry_after_s=60)

    with pytest.raises(UpstreamRateLimited) as raised:
        await FailoverProvider([first, second]).current(SAN_JOSE, UpstreamCall())

    assert raised.value.retry_after_s == 60


async def test_a_city_unusable_at_every_provider_stays_unusable_so_it_is_remembered(
    first: FakeProvider, second: FakeProvider
) -> None:
    first.failing = UnusableAnswer("forecast upstream sent an unusable body")
    second.failing = UnusableAnswer("openweathermap upstream sent an unusable body")
    with pytest.raises(UnusableAnswer):
        await FailoverProvider([first, second]).current(SAN_JOSE, UpstreamCall())

    second.failing = UpstreamBadResponse("a 200 that is not an answer")
    with pytest.raises(UpstreamBadResponse) as raised:
        await FailoverProvider([first, second]).current(SAN_JOSE, UpstreamCall())
    assert type(raised.value) is UpstreamBadResponse  # not remembered: one was no answer


async def test_the_failover_is_healthy_while_any_provider_is(
    first: FakeProvider, second: FakeProvider
) -> None:
    failover = FailoverProvider([first, second])
    first.failing = UpstreamUnavailable("503")
    assert failover.healthy()
    second.failing = UpstreamUnavailable("503")
    assert not failover.healthy()


def test_the_failover_is_named_after_its_providers_in_order(
    first: FakeProvider, second: FakeProvider
) -> None:
    assert FailoverProvider([first, second]).name == "first,second"
    with pytest.raises(ValueError, match="at least one"):
        FailoverProvider([])


async def test_each_provider_counts_its_own_calls_and_failures_in_stats(
    first: FakeProvider, second: FakeProvider
) -> None:
    metrics = MemoryMetrics()
    failover = FailoverProvider([CountedProvider(first, metrics), CountedProvider(second, metrics)])
    first.failing = UpstreamUnavailable("503")
    await failover.current(SAN_JOSE, UpstreamCall())
    await failover.current(SAN_JOSE, UpstreamCall())
    first.failing = None
    await failover.current(SAN_JOSE, UpstreamCall())
    with pytest.raises(CityNotFound):  # an answer, not a failure
        await failover.current(WeatherQuery.parse("Atlantis"), UpstreamCall())

    report = await GetStats(metrics)()

    assert report["api_calls_by_provider"] == {"first": 4, "second": 2}
    assert report["upstream_errors_by_provider"] == {"first": 2}
    assert report[CounterName.API_CALLS.value] == 0  # fetches are the use case's to count
