"""CacheEntry: one cached answer for a city, with the timestamps that decide its freshness."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.weather import Weather


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEntry:
    """`weather` is None for a negative entry (the city does not exist), and for an
    unusable one: the provider's answer for this city could not be used, `unusable` says
    why (a 502, remembered briefly so that repeating it costs no upstream call).

    Times are epoch seconds so that every process sharing the cache agrees on them.
    `retry_after` and `failures` implement refresh back-off after an upstream error.
    `fetch_s` is how long the fetch took, the delta used by probabilistic early refresh.
    `provider` says whose answer an entry without weather records: the provider that said
    the city is unknown, or the chain whose answer was unusable (an entry with weather
    names its provider in it). None, in entries written before they said so, is nobody's.
    `fence` orders the fetches that wrote entries: the fetch's start, in whole epoch
    milliseconds (0 for entries written before fences). Every cache keeps the entry with
    the highest fence, so a slow fetch that overlapped a newer one never writes last.
    """

    weather: Weather | None
    fetched_at: float
    fresh_until: float
    stale_until: float
    retry_after: float = 0.0
    failures: int = 0
    fetch_s: float = 0.0
    unusable: str | None = None
    provider: str | None = None
    fence: int = 0

    def older_than(self, other: CacheEntry) -> bool:
        """Written by a fetch that started before `other`'s: it must not replace it.
        Equal fences are one fetch rewriting its own entry (a back-off), which may."""
        return self.fence < other.fence

    @property
    def is_unusable(self) -> bool:
        return self.unusable is not None
