"""SimulatedProvider: offline, deterministic weather, for demos, load tests and unit tests."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable

from adapters.providers.spec import ProviderContext, ProviderSetting, ProviderSpec
from domain.model.admission import UpstreamCall
from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from domain.model.wmo_codes import WMO_CODES, describe
from ports.provider import WeatherProvider

_CODES = sorted(WMO_CODES)


def names_nowhere(key: str) -> bool:
    """The default rule for unknown cities: any name containing "nowhere"."""
    return "nowhere" in key


class SimulatedProvider(WeatherProvider):
    """Rules:
    - a city's weather is a pure function of its query key, identical in every process
      (blake2b, not hash(), which is salted per process);
    - each call sleeps `latency_s`, then fails with probability `failure_rate` (0..1)
      as drawn from `rng`, so a seeded Random replays the same failures;
    - keys for which `is_unknown(key)` holds raise CityNotFound;
    - `latency_s` and `failure_rate` may be changed at run time; `calls` counts every call.
    """

    name = "simulated"

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        failure_rate: float = 0.0,
        rng: random.Random | None = None,
        is_unknown: Callable[[str], bool] = names_nowhere,
    ) -> None:
        self.latency_s = latency_s
        self.failure_rate = failure_rate
        self.calls = 0
        self._rng = rng or random.Random()
        self._is_unknown = is_unknown
        self._healthy = True

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        """`call` goes unused: no HTTP request carries it (the use case counts the answer)."""
        self.calls += 1
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)  # the loop's clock on purpose: a network's time
        if self.failure_rate > 0 and self._rng.random() < self.failure_rate:
            self._healthy = False
            raise UpstreamUnavailable("simulated upstream failure")
        self._healthy = True
        if self._is_unknown(query.key):
            raise CityNotFound(f"no city named {query.city!r}")
        return _weather_for(query, self.name)

    def healthy(self) -> bool:
        return self._healthy


def _weather_for(query: WeatherQuery, provider: str) -> Weather:
    digest = hashlib.blake2b(query.key.encode(), digest_size=20).digest()
    # Each field reads its own bytes of the digest, so the fields vary independently.
    word = [int.from_bytes(digest[i : i + 4], "big") for i in range(0, 20, 4)]
    point = query.point
    return Weather(
        city=query.city,
        temperature=round(-20 + (word[0] % 600) / 10, 1),  # -20.0 .. 39.9 °C
        humidity=float(10 + word[1] % 91),  # 10 .. 100 %
        description=describe(_CODES[word[2] % len(_CODES)]),
        latitude=point.latitude if point else round(-60 + (word[3] % 1_300_000) / 10_000, 4),
        longitude=point.longitude if point else round(-180 + (word[4] % 3_600_000) / 10_000, 4),
        provider=provider,
    )


def _build(context: ProviderContext) -> SimulatedProvider:
    return SimulatedProvider(
        latency_s=float(context.options["SIMULATED_LATENCY"]),
        failure_rate=float(context.options["SIMULATED_FAILURE_RATE"]),
    )


# No HTTP call, so no endpoints and no free tier to protect.
SPEC = ProviderSpec(
    name="simulated",
    build=_build,
    settings=(
        ProviderSetting(
            env="SIMULATED_LATENCY",
            kind="number",
            default="0.05",
            help="Seconds each simulated-provider call takes.",
        ),
        ProviderSetting(
            env="SIMULATED_FAILURE_RATE",
            kind="number",
            default="0",
            maximum=1.0,
            help="Share of simulated calls that fail (0 to 1).",
        ),
    ),
)
