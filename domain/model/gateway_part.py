"""A gateway location's cached answer: the upstream's own bytes, and how long they last."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.policy import Freshness

# One location's part is a few hundred kB as a rule, ~4 MB at worst (108 days of hourly data for
# 200 variables); a part above this is answered but not kept, so one query cannot fill the cache.
MAX_PART_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredPart:
    """`status` 200 for a location's answer; 400 for a query's remembered refusal, whose
    body is Open-Meteo's error JSON.

    `fence` orders the fetches that wrote a location's parts, as CacheEntry.fence orders a
    city's: the fetch's lease's (Redis' clock when granted), else its start, in whole epoch
    milliseconds; 0 in parts written before parts carried one, and in refusals."""

    body: bytes
    fetched_at: float
    fresh_until: float
    stale_until: float
    provider: str = ""  # who answered; "" in a part written before parts named it
    status: int = 200
    fence: int = 0

    def replaces(self, held: StoredPart | None) -> bool:
        """Whether this part may take `held`'s place: not if it comes from an older fetch
        (a lower fence) than a part still live when this one was fetched. Equal fences
        are one fetch rewriting its own part; a part past its stale end protects nothing."""
        if held is None or self.fence >= held.fence:
            return True
        return self.fetched_at >= held.stale_until

    def state(self, now: float) -> Freshness:
        if now < self.fresh_until:
            return Freshness.FRESH
        if now < self.stale_until:
            return Freshness.STALE
        return Freshness.EXPIRED


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayPolicy:
    """Rules:
    - a forecast or air-quality part is fresh for `forecast_ttl_s` (or until `follows`,
      its model's next run plus margin, under FORECAST_FRESHNESS=model-runs) plus a jitter
      in [0, `jitter_max_s`]; an archive range that has settled, for `archive_ttl_s`;
    - after that it is served stale (while one refresh runs) until `stale_ttl_s` after
      its fetch;
    - the upstream's 400 for a query is remembered for `refusal_ttl_s`;
    - a failed background refresh of a location is not retried for `refresh_backoff_s`."""

    forecast_ttl_s: float = 900.0
    archive_ttl_s: float = 7 * 86_400.0
    stale_ttl_s: float = 86_400.0
    jitter_max_s: float = 30.0
    refusal_ttl_s: float = 60.0
    refresh_backoff_s: float = 5.0

    def answer(
        self,
        body: bytes,
        *,
        kind: str,
        now: float,
        jitter_fraction: float,
        provider: str,
        follows: float | None = None,
        fence: int = 0,
    ) -> StoredPart:
        jitter = self.jitter_max_s * jitter_fraction
        if kind == "archive-settled":
            fresh_until = now + self.archive_ttl_s
        elif follows is not None:
            fresh_until = follows + jitter
        else:
            fresh_until = now + self.forecast_ttl_s + jitter
        return StoredPart(
            body=body,
            fetched_at=now,
            fresh_until=fresh_until,
            stale_until=max(now + self.stale_ttl_s, fresh_until),
            provider=provider,
            fence=fence,
        )

    def refusal(self, body: bytes, now: float, provider: str) -> StoredPart:
        until = now + self.refusal_ttl_s
        return StoredPart(
            body=body,
            fetched_at=now,
            fresh_until=until,
            stale_until=until,
            provider=provider,
            status=400,
        )
