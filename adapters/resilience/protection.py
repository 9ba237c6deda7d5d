"""Protection: one upstream's protection — concurrency cap, retry, breaker, quota — around
any call to it (a /weather provider's, adapters/resilience/protected_provider.py; the
gateway's, adapters/resilience/protected_gateway.py)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.resilience.call_outcomes import CallOutcomes
from adapters.resilience.circuit_breaker import BreakerState, CircuitBreaker
from adapters.resilience.protection_config import ProtectionConfig
from adapters.resilience.quota import QuotaWindow
from domain.model.errors import UpstreamUnavailable
from ports.budget import UpstreamBudget
from ports.clock import Clock

__all__ = ["Protection", "ProtectionConfig"]

BUSY_RETRY_AFTER_S = 1.0
T = TypeVar("T")


class Protection:
    """Guards every call to one upstream (`name`); every rule below holds per process.

    - at most `concurrency` calls in flight; a caller waits `queue_timeout_s` at most for
      a slot (in arrival order: asyncio's semaphore is fair);
    - one attempt holds its slot `call_timeout_s` at most, bodies included: a backstop
      past its HTTP requests' own timeouts, so a slow answer holds up the callers behind
      it no longer than that;
    - the whole call, slot waits and retry included, ends within `deadline_s`;
    - a transient failure (never a timeout, a 4xx, a bad body or a 429) is retried
      `retries` times (0 or 1), after a jittered pause, only if a whole attempt still
      fits before the call's deadline;
    - a circuit breaker counts failed attempts: transport failures, HTTP timeouts, 5xx
      (each error's `blames_provider`), once per attempt; an answer the caller refuses (an unknown
      city, the gateway's 400) is a success; a body we cannot use leaves it as it was,
      and so does the backstop (each request answered in time: the time went elsewhere);
      while open it fails fast; when half-open exactly one call probes the upstream
      (how each attempt's end is judged: adapters/resilience/call_outcomes.py);
    - after a 429, no call until its window passes; a daily-limit 429 also closes the
      shared `budget`, which lets one probe through now and then, cluster-wide;
    - a call the budget refused (nothing sent) moves neither the breaker nor the window;
    - every refusal is an UpstreamUnavailable (or UpstreamRateLimited) with retry_after_s;
      one made before any I/O says so (attempted=False), so that it is not counted as an
      upstream call.
    """

    def __init__(
        self,
        name: str,
        config: ProtectionConfig | None = None,
        *,
        clock: Clock,
        uniform: Callable[[float, float], float] = random.uniform,
        budget: UpstreamBudget | None = None,
    ) -> None:
        self.config = config = config or ProtectionConfig()
        self._clock = clock
        self.name = name
        self._slots = asyncio.Semaphore(config.concurrency)
        self._uniform = uniform
        self.breaker = CircuitBreaker(
            clock, name=self.name, failures=config.breaker_failures, reset_s=config.breaker_reset_s
        )
        self.quota = QuotaWindow(clock, name=self.name)
        self._outcomes = CallOutcomes(name, self.breaker, self.quota, clock, budget)

    @property
    def state(self) -> str:
        """The breaker's state, "closed", "open" or "half-open", for metrics."""
        return self.breaker.state.value

    def healthy(self) -> bool:
        """Worth calling now: breaker closed and no 429 window in force."""
        return self.breaker.state is BreakerState.CLOSED and self.quota.remaining_s() == 0

    async def protect(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`'s answer, under the rules above."""
        try:
            self._refuse_early()
        except UpstreamUnavailable as refusal:
            raise _unsent(refusal) from None
        deadline = _now() + self.config.deadline_s
        try:
            return await self._attempt(call, self.config.queue_timeout_s)
        except _Refused as refused:
            raise _unsent(refused.error) from None
        except UpstreamUnavailable as error:
            if not self._may_retry(error, deadline):
                raise
            first = error
        await self._clock.sleep(self._uniform(*self.config.retry_delay_s))
        try:
            return await self._attempt(call, deadline - self.config.call_timeout_s - _now())
        except _Refused:
            raise first from None  # the retry was turned away: report what really failed

    def _may_retry(self, error: UpstreamUnavailable, deadline: float) -> bool:
        if self.config.retries < 1 or not error.transient:
            return False
        if _now() + self.config.retry_delay_s[1] + self.config.call_timeout_s > deadline:
            return False  # no time left for a whole attempt: the caller hears the failure now
        try:
            self._refuse_early()  # this failure may have opened the breaker: no idle pause
        except UpstreamUnavailable:
            return False
        return True

    def _refuse_early(self) -> None:
        """Turn a caller away before it queues, when no call could be made anyway."""
        self.quota.check()
        self.breaker.check()

    async def _attempt(self, call: Callable[[], Awaitable[T]], wait_s: float) -> T:
        try:
            async with asyncio.timeout(max(wait_s, 0.0)):
                await self._slots.acquire()
        except TimeoutError:
            raise _Refused(self._busy()) from None
        try:
            self._admit()
            return await self._outcomes.run(call, self.config.call_timeout_s)
        finally:
            self._slots.release()

    def _admit(self) -> None:
        # Re-checked once a slot is ours: the call ahead may have opened the breaker.
        try:
            self._refuse_early()
            self.breaker.admit()
        except UpstreamUnavailable as refusal:
            raise _Refused(refusal) from None

    def _busy(self) -> UpstreamUnavailable:
        return UpstreamUnavailable(
            f"{self.name} upstream busy: no free call slot within "
            f"{self.config.queue_timeout_s:g} s ({self.config.concurrency} at a time)",
            retry_after_s=BUSY_RETRY_AFTER_S,
        )


def _unsent(refusal: UpstreamUnavailable) -> UpstreamUnavailable:
    """The refusal, marked as made before any I/O (each check raises a new error)."""
    refusal.attempted = False
    return refusal


def _now() -> float:
    # The retry window and its pause are measured on the loop's clock, the clock of the
    # call timeouts they are weighed against (asyncio.timeout), not on the Clock port.
    return asyncio.get_running_loop().time()


class _Refused(Exception):  # a signal inside this module, never raised out of it
    """The protection turned a call away before it reached the upstream."""

    def __init__(self, error: UpstreamUnavailable) -> None:
        super().__init__(error.reason)
        self.error = error
