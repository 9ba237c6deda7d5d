"""CheckHealth: whether the shared cache and the provider are answering."""

from __future__ import annotations

from dataclasses import dataclass

from ports.cache import StoreHealth
from ports.provider import WeatherProvider


@dataclass(frozen=True, slots=True)
class Health:
    shared_cache_ok: bool
    provider_ok: bool
    cache: str


class CheckHealth:
    """`shared_cache_ok` is False whenever the cache is this process's own or does not answer.

    `cache_kind` is only a label for the report; `shared` says whether the cache is one that
    other processes share (the composition root knows which adapter it chose)."""

    def __init__(
        self, cache: StoreHealth, provider: WeatherProvider, *, cache_kind: str, shared: bool
    ) -> None:
        self._cache = cache
        self._provider = provider
        self._cache_kind = cache_kind
        self._shared = shared

    async def __call__(self) -> Health:
        shared_cache_ok = self._shared and await self._cache.ping()
        return Health(
            shared_cache_ok=shared_cache_ok,
            provider_ok=self._provider.healthy(),
            cache=self._cache_kind,
        )
