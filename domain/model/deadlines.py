"""Deadlines: every time bound of one upstream fetch, derived in one place (docs/TIMING.md)."""

from __future__ import annotations

from dataclasses import dataclass

# The owner's Redis round trips outside its provider calls: the re-read under the lease,
# the miss budget, the write of the answer and the lease's release.
OWNER_ROUND_TRIPS = 4
# The time a provider attempt may spend between its HTTP requests (the geocoding cache's
# read and write), and a slot's hand-over to the next caller: a tenth of a request.
SLACK = 0.1


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """What waits for what, each bound built on the one before it:

    - one HTTP request, body included: `request_s` (UPSTREAM_TIMEOUT);
    - one attempt at a provider: its `calls` requests in sequence, plus slack;
    - a free slot: one whole attempt ahead, plus its hand-over;
    - one provider call: the slot wait and one attempt; a retry only if it still fits;
    - the owner of a fetch: each provider in failover order, plus its Redis work;
    - a waiter: a dead owner's lease lapsing, then a whole owner, then its own re-read.
    """

    request_s: float = 5.0
    # HTTP requests per answer, for each provider in failover order (Open-Meteo: geocoding
    # then forecast).
    calls: tuple[int, ...] = (2,)
    redis_s: float = 0.25
    lease_s: float = 5.0

    @property
    def slack_s(self) -> float:
        return SLACK * self.request_s

    def attempt_s(self, calls: int) -> float:
        """How long one attempt may hold its slot: a backstop, the requests time out first."""
        return calls * self.request_s + self.slack_s

    def queue_s(self, calls: int) -> float:
        return self.attempt_s(calls) + self.slack_s

    def provider_s(self, calls: int) -> float:
        """One provider call, retry included."""
        return self.queue_s(calls) + self.attempt_s(calls)

    @property
    def owner_s(self) -> float:
        """From taking the lease to releasing it, the answer stored."""
        upstream_s = sum(self.provider_s(calls) for calls in self.calls)
        return upstream_s + OWNER_ROUND_TRIPS * self.redis_s

    @property
    def waiter_s(self) -> float:
        """How long a request waits for another's fetch before its 503."""
        return self.lease_s + self.owner_s + self.redis_s
