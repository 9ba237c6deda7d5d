"""What the end of one call to an upstream says about it: the breaker, the 429 window and
the shared budget each hear it (the rules are Protection's, adapters/resilience/protection.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from adapters.resilience.circuit_breaker import CircuitBreaker
from adapters.resilience.quota import QuotaWindow, daily_limit_ends
from domain.model.errors import (
    CityNotFound,
    GatewayRefused,
    UpstreamBudgetSpent,
    UpstreamRateLimited,
    UpstreamTimedOut,
    UpstreamUnavailable,
)
from ports.budget import UpstreamBudget
from ports.clock import Clock

# The upstream answered, whatever the caller makes of it: an unknown city, the gateway's
# 400 for a query (an unknown variable).
ANSWERED = (CityNotFound, GatewayRefused)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CallOutcomes:
    """One upstream's calls, each judged by how it ended: an answer closes the breaker, a
    failure that blames the upstream counts against it, a 429 closes the window (and the
    shared budget until a daily limit ends), and anything else leaves them as they were."""

    name: str
    breaker: CircuitBreaker
    quota: QuotaWindow
    clock: Clock
    budget: UpstreamBudget | None

    async def run(self, call: Callable[[], Awaitable[T]], timeout_s: float) -> T:
        """`call()`'s answer within `timeout_s`; how it ended moves the breaker."""
        try:
            async with asyncio.timeout(timeout_s):
                answer = await call()
        except ANSWERED:
            self.breaker.succeeded()  # the upstream answered: no city, or not this query
            raise
        except UpstreamBudgetSpent:
            self.breaker.release()  # our own budget said no: the upstream was not asked
            raise
        except UpstreamRateLimited as error:
            self.quota.close_for(error)
            self.breaker.release()
            await self._close_budget(error)
            raise
        except UpstreamUnavailable as error:
            if error.blames_provider:
                self.breaker.failed(error)
            else:
                self.breaker.release()  # it answered: this city's problem, not the provider's
            raise
        except TimeoutError:
            # Every HTTP request has its own timeout, which counts against the breaker;
            # past them all, the time went to our side (the geocoding cache, the budget,
            # a busy event loop), which says nothing about the upstream.
            self.breaker.release()
            raise UpstreamTimedOut(
                f"{self.name} upstream timed out: no answer within {timeout_s:g} s"
            ) from None
        except BaseException:
            self.breaker.release()  # cancelled or a bug: says nothing about the upstream
            raise
        self.breaker.succeeded()
        return answer

    async def _close_budget(self, error: UpstreamRateLimited) -> None:
        until = daily_limit_ends(error, self.clock.now())
        if until is not None and self.budget is not None:
            await self.budget.close(self.name, until)
