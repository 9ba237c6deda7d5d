"""A scripted WeatherProvider and helpers, for the ProtectedProvider unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from adapters.resilience.protected_provider import ProtectedProvider, ProtectionConfig
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamTimedOut,
    UpstreamUnavailable,
)
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from tests.unit.fakes import FakeClock

BOSTON = WeatherQuery.parse("Boston")
SERVER_ERROR = UpstreamUnavailable("forecast upstream answered 500: Internal server error")
TIMED_OUT = UpstreamTimedOut("forecast upstream timed out")
REFUSED = UpstreamUnavailable("forecast upstream connection failed (ConnectError)")
BAD_BODY = UpstreamBadResponse("forecast upstream sent an unusable body")
CLIENT_ERROR = UpstreamBadResponse("forecast upstream answered 400")
RATE_LIMITED = UpstreamRateLimited("forecast upstream answered 429", retry_after_s=60)
Outcome = Exception | None  # None: answer with weather


class ScriptedProvider:
    """Plays `script` one outcome per call, then `then` forever; `gate` holds calls."""

    name = "scripted"

    def __init__(self, script: Iterable[Outcome] = (), then: Outcome = None) -> None:
        self.script = list(script)
        self.then = then
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate: asyncio.Event | None = None

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        self.calls += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            outcome = self.script.pop(0) if self.script else self.then
        finally:
            self.in_flight -= 1
        if outcome is not None:
            raise outcome
        return Weather(
            city=query.city, temperature=1.0, humidity=50, description="Clear", provider=self.name
        )

    def healthy(self) -> bool:
        return True


class Pauses:
    """The retry pauses a ProtectedProvider takes, recorded rather than waited."""

    def __init__(self) -> None:
        self.taken: list[float] = []


class PausingClock:
    """A FakeClock's time whose sleeps are recorded in `pauses` and end at once: a
    ProtectedProvider's one sleep is its retry pause."""

    def __init__(self, clock: FakeClock, pauses: Pauses) -> None:
        self._clock = clock
        self._pauses = pauses

    def now(self) -> float:
        return self._clock.now()

    def monotonic(self) -> float:
        return self._clock.monotonic()

    async def sleep(self, seconds: float) -> None:
        self._pauses.taken.append(seconds)


def protected(
    inner: ScriptedProvider, clock: FakeClock, pauses: Pauses | None = None, **config: object
) -> ProtectedProvider:
    """The provider under test: breaker threshold 3, reset 30 s, unless `config` says else."""
    budget = config.pop("budget", None)
    settings = {"breaker_failures": 3, "breaker_reset_s": 30.0, **config}
    return ProtectedProvider(
        inner,
        ProtectionConfig(**settings),  # type: ignore[arg-type]
        clock=PausingClock(clock, pauses or Pauses()),
        budget=budget,  # type: ignore[arg-type]
    )
