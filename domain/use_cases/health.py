"""CheckHealth: whether the shared cache and the provider are answering."""

from __future__ import annotations

from dataclasses import dataclass

from ports.cache import Cache
from ports.provider import WeatherProvider


@dataclass(frozen=True, slots=True)
class Health:
    redis_ok: bool
    provider_ok: bool
    cache: str


class CheckHealth:
    """`redis_ok` is False whenever the shared cache is not Redis or does not answer."""

    def __init__(self, cache: Cache, provider: WeatherProvider, *, cache_kind: str) -> None:
        self._cache = cache
        self._provider = provider
        self._cache_kind = cache_kind

    async def __call__(self) -> Health:
        redis_ok = self._cache_kind == "redis" and await self._cache.ping()
        return Health(
            redis_ok=redis_ok, provider_ok=self._provider.healthy(), cache=self._cache_kind
        )
