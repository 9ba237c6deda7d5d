"""ProtectedProvider: a /weather provider behind its upstream's Protection."""

from __future__ import annotations

import random
from collections.abc import Callable

from adapters.resilience.protection import Protection, ProtectionConfig
from domain.model.admission import UpstreamCall
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from ports.budget import UpstreamBudget
from ports.clock import Clock
from ports.provider import WeatherProvider

__all__ = ["ProtectedProvider", "ProtectionConfig"]


class ProtectedProvider(Protection, WeatherProvider):
    """Wraps one provider: each `current` call under the Protection's rules."""

    def __init__(
        self,
        inner: WeatherProvider,
        config: ProtectionConfig | None = None,
        *,
        clock: Clock,
        uniform: Callable[[float, float], float] = random.uniform,
        budget: UpstreamBudget | None = None,
    ) -> None:
        super().__init__(inner.name, config, clock=clock, uniform=uniform, budget=budget)
        self._inner = inner

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        return await self.protect(lambda: self._inner.current(query, call))
