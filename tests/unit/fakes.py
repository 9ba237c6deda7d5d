"""Hand-written fakes of the ports that have no in-memory adapter."""

from __future__ import annotations

import asyncio

from domain.model.admission import Priority, UpstreamCall
from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.query import WeatherQuery
from domain.model.weather import Weather


class FakeClock:
    """Time that moves only when a test calls `advance`; sleepers wake when it passes them."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self._now = now
        self._monotonic = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._monotonic + seconds, woken))
        await woken

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._monotonic += seconds
        waiting = []
        for due, woken in self._sleepers:
            if due <= self._monotonic:
                if not woken.done():
                    woken.set_result(None)
            else:
                waiting.append((due, woken))
        self._sleepers = waiting


class FakeProvider:
    """Answers from a table; `gate` lets a test hold fetches in flight."""

    name = "fake"

    def __init__(self, temperatures: dict[str, float] | None = None) -> None:
        self.temperatures = temperatures or {"san jose": 22.5, "boise": 3.0}
        self.calls: list[str] = []
        self.admitted: list[Priority] = []  # each call's priority when it was made
        self.failing: UpstreamUnavailable | None = None
        self.gate: asyncio.Event | None = None

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        self.calls.append(query.key)
        self.admitted.append(call.priority)
        if self.gate is not None:
            await self.gate.wait()
        if self.failing is not None:
            raise self.failing
        if query.key not in self.temperatures:
            raise CityNotFound(query.city)
        return Weather(
            city=query.city,
            temperature=self.temperatures[query.key],
            humidity=65,
            description="Partly cloudy",
            provider=self.name,
        )

    def healthy(self) -> bool:
        return self.failing is None
