"""GuardedProvider: one upstream's protection — concurrency cap, retry, breaker, quota."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from adapters.circuit_breaker import BreakerState, CircuitBreaker
from adapters.guard_config import GuardConfig, blames_provider, is_transient
from adapters.system_clock import SystemClock
from adapters.upstream_quota import CallBudget, QuotaWindow
from domain.errors import CityNotFound, UpstreamRateLimited, UpstreamUnavailable
from domain.query import WeatherQuery
from domain.weather import Weather
from ports.clock import Clock
from ports.provider import WeatherProvider

__all__ = ["GuardConfig", "GuardedProvider"]

BUSY_RETRY_AFTER_S = 1.0


class GuardedProvider(WeatherProvider):
    """Wraps one provider; every rule below holds per process.

    - at most `concurrency` calls in flight; a caller waits `queue_timeout_s` at most for
      a slot, and never past its `deadline_s`;
    - one attempt holds its slot `call_timeout_s` at most (less if the caller's deadline is
      nearer), so a slow answer holds up the callers behind it no longer than that;
    - a transient failure is retried `retries` times (0 or 1), after a jittered pause, and
      only while a whole `call_timeout_s` still fits before the caller's deadline; never a
      4xx, a bad body or a 429;
    - a circuit breaker counts failed attempts: transport failures, timeouts, 5xx (see
      blames_provider); CityNotFound is a success; a body we cannot use, or a timeout cut
      short by the caller's own deadline, leaves it as it was; while open it fails fast;
      when half-open exactly one call probes the upstream;
    - after a 429, no call until its window passes; an optional budget stays under quota;
    - every refusal is an UpstreamUnavailable (or UpstreamRateLimited) with retry_after_s.
    """

    def __init__(
        self,
        inner: WeatherProvider,
        config: GuardConfig | None = None,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.config = config = config or GuardConfig()
        clock = clock or SystemClock()
        self.name = inner.name
        self._inner = inner
        self._slots = asyncio.Semaphore(config.concurrency)
        self._sleep = sleep
        self._uniform = uniform
        self.breaker = CircuitBreaker(
            clock, name=self.name, failures=config.breaker_failures, reset_s=config.breaker_reset_s
        )
        self.quota = QuotaWindow(clock, name=self.name)
        self.budget = CallBudget(clock, config.limits, name=self.name)

    @property
    def state(self) -> str:
        """The breaker's state, "closed", "open" or "half-open", for metrics."""
        return self.breaker.state.value

    def healthy(self) -> bool:
        """Worth calling now: breaker closed and no 429 window in force."""
        return self.breaker.state is BreakerState.CLOSED and self.quota.remaining_s() == 0

    async def current(self, query: WeatherQuery) -> Weather:
        self._refuse_early()
        deadline = _now() + self.config.deadline_s
        try:
            return await self._attempt(query, deadline)
        except _Refused as refused:
            raise refused.error from None
        except UpstreamUnavailable as error:
            if not self._may_retry(error, deadline):
                raise
            first = error
        await self._sleep(self._uniform(*self.config.retry_delay_s))
        try:
            return await self._attempt(query, deadline)
        except _Refused:
            raise first from None  # the retry was turned away: report what really failed

    def _may_retry(self, error: UpstreamUnavailable, deadline: float) -> bool:
        if self.config.retries < 1 or not is_transient(error):
            return False
        pause = self.config.retry_delay_s[1]
        if deadline - _now() - pause < self.config.call_timeout_s:
            return False  # no time left for a whole call: the caller hears the failure now
        try:
            self._refuse_early()  # this failure may have opened the breaker: no idle pause
        except UpstreamUnavailable:
            return False
        return True

    def _refuse_early(self) -> None:
        """Turn a caller away before it queues, when no call could be made anyway."""
        self.quota.check()
        self.budget.check()
        self.breaker.check()

    async def _attempt(self, query: WeatherQuery, deadline: float) -> Weather:
        wait_s = min(self.config.queue_timeout_s, deadline - _now())
        try:
            async with asyncio.timeout(max(wait_s, 0.0)):
                await self._slots.acquire()
        except TimeoutError:
            raise _Refused(self._busy()) from None
        try:
            self._admit()
            return await self._call(query, min(self.config.call_timeout_s, deadline - _now()))
        finally:
            self._slots.release()

    def _admit(self) -> None:
        # Re-checked once a slot is ours: the call ahead may have opened the breaker.
        try:
            self._refuse_early()
            self.breaker.admit()
        except UpstreamUnavailable as refusal:
            raise _Refused(refusal) from None
        self.budget.spend()

    async def _call(self, query: WeatherQuery, timeout_s: float) -> Weather:
        try:
            async with asyncio.timeout(max(timeout_s, 0.0)):
                weather = await self._inner.current(query)
        except CityNotFound:
            self.breaker.succeeded()  # the upstream answered; the city does not exist
            raise
        except UpstreamRateLimited as error:
            self.quota.close_for(error)
            self.breaker.release()
            raise
        except UpstreamUnavailable as error:
            if blames_provider(error):
                self.breaker.failed(error)
            else:
                self.breaker.release()  # it answered: this city's problem, not the provider's
            raise
        except TimeoutError:
            timed_out = UpstreamUnavailable(
                f"{self.name} upstream timed out: no answer within {timeout_s:.3g} s"
            )
            if timeout_s >= self.config.call_timeout_s:
                self.breaker.failed(timed_out)
            else:
                self.breaker.release()  # cut short by the caller's deadline, not the upstream
            raise timed_out from None
        except BaseException:
            self.breaker.release()  # cancelled or a bug: says nothing about the upstream
            raise
        self.breaker.succeeded()
        return weather

    def _busy(self) -> UpstreamUnavailable:
        return UpstreamUnavailable(
            f"{self.name} upstream busy: no free call slot within "
            f"{self.config.queue_timeout_s:g} s ({self.config.concurrency} at a time)",
            retry_after_s=BUSY_RETRY_AFTER_S,
        )


def _now() -> float:
    # Deadlines are durations within this process: the loop's monotonic clock, not the
    # Clock port's wall time (which the breaker and quota windows use).
    return asyncio.get_running_loop().time()


class _Refused(Exception):  # a signal inside this module, never raised out of it
    """The guard turned a call away before it reached the upstream."""

    def __init__(self, error: UpstreamUnavailable) -> None:
        super().__init__(error.reason)
        self.error = error
