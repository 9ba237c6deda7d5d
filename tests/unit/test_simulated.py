"""SimulatedProvider: deterministic weather, replayable failures, configurable unknowns."""

from __future__ import annotations

import random
import time

import pytest

from adapters.providers.simulated import SimulatedProvider
from domain.model.admission import UpstreamCall
from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.query import WeatherQuery


async def test_a_city_has_the_same_weather_in_every_instance() -> None:
    first = await SimulatedProvider().current(WeatherQuery.parse("Topeka"), UpstreamCall())
    again = await SimulatedProvider().current(WeatherQuery.parse("TOPEKA"), UpstreamCall())

    assert (first.temperature, first.humidity, first.description) == (
        again.temperature,
        again.humidity,
        again.description,
    )
    assert (first.latitude, first.longitude) == (again.latitude, again.longitude)


async def test_cities_differ_from_one_another() -> None:
    provider = SimulatedProvider()
    names = ["Topeka", "Eugene", "Boise", "Austin", "Miami", "Denver"]

    temperatures = {
        (await provider.current(WeatherQuery.parse(n), UpstreamCall())).temperature for n in names
    }

    assert len(temperatures) > 1


async def outcomes(provider: SimulatedProvider, calls: int) -> list[bool]:
    results = []
    for _ in range(calls):
        try:
            await provider.current(WeatherQuery.parse("Boise"), UpstreamCall())
            results.append(True)
        except UpstreamUnavailable:
            results.append(False)
    return results


async def test_a_seeded_rng_replays_the_same_failures() -> None:
    first = await outcomes(SimulatedProvider(failure_rate=0.5, rng=random.Random(42)), 40)
    again = await outcomes(SimulatedProvider(failure_rate=0.5, rng=random.Random(42)), 40)

    assert first == again
    assert True in first and False in first


async def test_every_call_is_counted_failed_or_not() -> None:
    provider = SimulatedProvider(failure_rate=0.5, rng=random.Random(1))

    await outcomes(provider, 10)
    with pytest.raises(CityNotFound):
        await provider.current(WeatherQuery.parse("Nowhere"), UpstreamCall())

    assert provider.calls == 11


async def test_each_call_waits_the_configured_latency() -> None:
    provider = SimulatedProvider(latency_s=0.05)

    started = time.monotonic()
    await provider.current(WeatherQuery.parse("Eugene"), UpstreamCall())

    assert time.monotonic() - started >= 0.045  # the loop may wake within its clock resolution


async def test_which_cities_are_unknown_is_configurable() -> None:
    provider = SimulatedProvider(is_unknown=lambda key: key.startswith("x"))

    with pytest.raises(CityNotFound):
        await provider.current(WeatherQuery.parse("Xanadu"), UpstreamCall())
    assert (await provider.current(WeatherQuery.parse("Nowhere"), UpstreamCall())).city == "Nowhere"
