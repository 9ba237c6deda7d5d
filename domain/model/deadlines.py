"""Deadlines: every time bound of one upstream fetch, derived in one place (docs/TIMING.md)."""

from __future__ import annotations

from dataclasses import dataclass

# The owner's Redis round trips outside its provider calls: the re-read under the lease,
# the miss budget, the write of the answer and the lease's release.
OWNER_ROUND_TRIPS = 4
# The time a provider attempt may spend between its HTTP requests (the geocoding cache's
# read and write), and a slot's hand-over to the next caller: a tenth of a request.
SLACK = 0.1
# After Redis restarts empty, new leases wait this long while the holders of the leases it
# lost set them again (adapters/redis/lease_epoch.py).
RESTART_QUIET_S = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """What waits for what, each bound built on the one before it:

    - one HTTP request, body included: `request_s` (UPSTREAM_TIMEOUT);
    - one attempt at a provider: its `calls` requests in sequence, plus slack;
    - a free slot: one whole attempt ahead, plus its hand-over;
    - one provider call: the slot wait and one attempt; a retry only if it still fits;
    - the owner of a fetch: each provider in failover order, plus its Redis work;
    - what the lock may make a waiter wait before anyone can own the fetch: a dead owner's
      lease lapsing or, while Redis is unreachable, the host lock's wait (a lease and the
      Redis breaker's cooldown), then the quiet period of a Redis that came back empty;
    - a waiter: that wait, then a whole owner, then its own re-read.
    """

    request_s: float = 5.0
    # HTTP requests per answer, for each provider in failover order (Open-Meteo: geocoding
    # then forecast).
    calls: tuple[int, ...] = (2,)
    redis_s: float = 0.25
    lease_s: float = 5.0
    breaker_reset_s: float = 1.0

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
    def lock_wait_s(self) -> float:
        """The longest the lock answers "held" with nobody fetching (FallbackLock's wait
        through an outage just short of its end, then the restart's quiet period)."""
        return self.lease_s + self.breaker_reset_s + RESTART_QUIET_S

    @property
    def waiter_s(self) -> float:
        """How long a request waits for another's fetch before its 503."""
        return self.lock_wait_s + self.owner_s + self.redis_s
