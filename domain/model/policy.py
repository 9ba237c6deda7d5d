"""CachePolicy: how long entries stay fresh and stale, and when to refresh them."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace

from domain.model.entry import CacheEntry
from domain.model.weather import Weather

# An unusable entry's reason is served in its 502; cached, it is kept short.
MAX_REASON = 300


class Freshness(enum.Enum):
    FRESH = "fresh"
    STALE = "stale"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class CachePolicy:
    """Rules:
    - an entry is fresh for `fresh_ttl_s` plus a jitter in [0, `jitter_max_s`], so that
      cities filled together do not all expire together;
    - after that it is stale, still served, until `stale_ttl_s` after it was fetched;
    - unknown cities are remembered for `negative_ttl_s`;
    - a city whose answer was unusable is remembered for `unusable_ttl_s` (short: the
      provider may mend it soon, but repeating it must not cost an upstream call each time);
    - a failed refresh backs off exponentially from `backoff_base_s` to `backoff_max_s`;
    - with `xfetch_beta` > 0 a fresh entry may be refreshed early (XFetch, Vattani et al.).
    """

    fresh_ttl_s: float = 300.0
    stale_ttl_s: float = 86_400.0
    jitter_max_s: float = 30.0
    negative_ttl_s: float = 600.0
    unusable_ttl_s: float = 60.0
    backoff_base_s: float = 5.0
    backoff_max_s: float = 300.0
    xfetch_beta: float = 0.0

    def fresh_entry(
        self, weather: Weather, now: float, *, jitter_fraction: float, fetch_s: float = 0.0
    ) -> CacheEntry:
        jitter = self.jitter_max_s * min(max(jitter_fraction, 0.0), 1.0)
        fresh_until = now + self.fresh_ttl_s + jitter
        return CacheEntry(
            weather=weather,
            fetched_at=now,
            fresh_until=fresh_until,
            stale_until=max(now + self.stale_ttl_s, fresh_until),
            fetch_s=fetch_s,
        )

    def negative_entry(self, now: float, *, provider: str) -> CacheEntry:
        until = now + self.negative_ttl_s
        return CacheEntry(
            weather=None, fetched_at=now, fresh_until=until, stale_until=until, provider=provider
        )

    def unusable_entry(self, now: float, reason: str, *, provider: str) -> CacheEntry:
        until = now + self.unusable_ttl_s
        return CacheEntry(
            weather=None,
            fetched_at=now,
            fresh_until=until,
            stale_until=until,
            unusable=reason[:MAX_REASON],
            provider=provider,
        )

    def after_failed_refresh(self, entry: CacheEntry, now: float) -> CacheEntry:
        """The same stale copy, never made fresh again, with the next attempt pushed back."""
        delay = min(self.backoff_base_s * 2**entry.failures, self.backoff_max_s)
        return replace(entry, retry_after=now + delay, failures=entry.failures + 1)

    def after_refused_refresh(self, entry: CacheEntry, now: float, wait_s: float) -> CacheEntry:
        """Our own budget said no, so the upstream did not fail: no failure is counted and
        no back-off grows; the next attempt waits only until the budget has room."""
        return replace(entry, retry_after=now + max(wait_s, 0.0))

    def state(self, entry: CacheEntry, now: float) -> Freshness:
        if now < entry.fresh_until:
            return Freshness.FRESH
        if now < entry.stale_until:
            return Freshness.STALE
        return Freshness.EXPIRED

    def may_refresh(self, entry: CacheEntry, now: float) -> bool:
        return now >= entry.retry_after

    def wants_early_refresh(self, entry: CacheEntry, now: float, uniform: float) -> bool:
        """XFetch: refresh before expiry with a probability that rises as expiry nears."""
        if self.xfetch_beta <= 0 or entry.fetch_s <= 0 or entry.weather is None:
            return False
        # -log(u) for u in (0, 1] is an Exp(1) sample; u == 0 would be infinite.
        gap = -entry.fetch_s * self.xfetch_beta * math.log(max(uniform, 1e-12))
        return now + gap >= entry.fresh_until

    def storage_ttl_s(self, entry: CacheEntry, now: float) -> float:
        """How long the backend should keep the entry at all."""
        return max(entry.stale_until - now, 1.0)
