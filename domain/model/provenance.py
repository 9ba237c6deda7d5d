"""ProviderChain: which cached entries the configured WEATHER_PROVIDER may serve as its own."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.entry import CacheEntry


@dataclass(frozen=True, slots=True)
class ProviderChain:
    """The providers asked, in order. An entry is the chain's own when:
    - it holds weather from one of them (a fallback's answer says who gave it, and stays
      good once the first provider is back);
    - it says "no such city" on the first provider's word: only that one is final, a
      fallback's is heard only because the first failed;
    - it says the answer was unusable, from this very chain (every provider's was);
    - never when it names no provider (written before entries did), so an entry of another
      chain, of the simulated provider or of an older version is fetched anew, not served.
    """

    names: tuple[str, ...]

    @classmethod
    def named(cls, name: str) -> ProviderChain:
        """From a provider's name: a failover is named after its providers, comma-joined."""
        return cls(tuple(name.split(",")))

    @property
    def first(self) -> str:
        return self.names[0]

    @property
    def name(self) -> str:
        return ",".join(self.names)

    def owns(self, entry: CacheEntry) -> bool:
        if entry.weather is not None:
            return entry.weather.provider in self.names
        if entry.is_unusable:
            return entry.provider == self.name
        return entry.provider == self.first
