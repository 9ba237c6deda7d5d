"""What the gateway answers: Open-Meteo's body, and how each of its locations was found."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.outcome import CacheOutcome

# How each outcome counts in X-Cache-Locations: a coalesced location needed a fetch.
_BUCKET = {
    CacheOutcome.HIT: "hit",
    CacheOutcome.MISS: "miss",
    CacheOutcome.COALESCED: "miss",
    CacheOutcome.STALE: "stale",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayAnswer:
    """`fetched_at` is the oldest part's fetch and `fresh_until`, `stale_until` the soonest
    ends: the answer is as fresh as its stalest location; `modified_at` is the newest fetch.
    `fences`: each location's part's fence, in the answer's order (none when not known)."""

    body: bytes
    outcomes: tuple[CacheOutcome, ...]
    fetched_at: float
    modified_at: float
    fresh_until: float
    stale_until: float
    fences: tuple[int, ...] = ()

    def older_than(self, other: GatewayAnswer) -> bool:
        """Whether any location of this answer comes from an older fetch than `other`'s
        (the same query: the same locations in the same order; no fences, no order)."""
        return any(mine < theirs for mine, theirs in zip(self.fences, other.fences, strict=False))

    @property
    def x_cache(self) -> str:
        """One location's outcome; for several, the worst: STALE, then MISS, then HIT."""
        if len(self.outcomes) == 1:
            return self.outcomes[0].value
        buckets = self.counts()
        if buckets["stale"]:
            return CacheOutcome.STALE.value
        return CacheOutcome.MISS.value if buckets["miss"] else CacheOutcome.HIT.value

    def counts(self) -> dict[str, int]:
        counts = {"hit": 0, "miss": 0, "stale": 0}
        for outcome in self.outcomes:
            counts[_BUCKET[outcome]] += 1
        return counts

    @property
    def x_cache_locations(self) -> str:
        return " ".join(f"{name}={n}" for name, n in self.counts().items())
