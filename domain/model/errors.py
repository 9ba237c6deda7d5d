"""The domain's error hierarchy; every edge translates its library's errors into these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar, TypeVar

from domain.model.outcome import CacheOutcome

T = TypeVar("T")


class SkycacheError(Exception):
    """Base of every error Skycache raises on purpose; `reason` says why, in words fit for
    a log line or a client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidQuery(SkycacheError):
    """The request does not name one place in a way Skycache accepts."""


class InvalidCity(InvalidQuery):
    """The city parameter is not an acceptable city name."""


class InvalidCoordinates(InvalidQuery):
    """lat/lon are not two finite decimals within range, or only one of them was given."""


class CityNotFound(SkycacheError):
    """The provider knows no city by that name.

    `outcome` says how the use case learned it (NEGATIVE from the cache, MISS or COALESCED
    from a fetch), for the X-Cache header; None where no cache was involved (providers).
    `fresh_for_s` is how long the cache remembers the answer, for caches downstream.
    `final` is False when a fallback provider said it, asked only because the first one
    failed: an answer for this request, never cached, never replacing a cached copy."""

    def __init__(
        self,
        message: str,
        *,
        outcome: CacheOutcome | None = None,
        fresh_for_s: float | None = None,
        final: bool = True,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.fresh_for_s = fresh_for_s
        self.final = final


class UpstreamUnavailable(SkycacheError):
    """No answer could be had from the weather provider and no cached copy exists.

    `attempted` is False when the call was turned away before any I/O (breaker open, a
    429 window, the call budget, no free call slot): then no upstream call was made, and
    none is counted.

    Each kind says what it tells about the provider, for its protection
    (adapters/resilience/protection.py): `blames_provider`, whether it counts against the
    breaker (transport failures, timeouts and 5xx do); `transient`, whether one more try
    may get an answer (refused or dropped connections and 5xx only)."""

    blames_provider: ClassVar[bool] = True
    transient: ClassVar[bool] = True

    def __init__(
        self, reason: str, *, retry_after_s: float | None = None, attempted: bool = True
    ) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.attempted = attempted


class UpstreamBadResponse(UpstreamUnavailable):
    """The provider answered, but with something we cannot use: a body too large, or a 200
    that is not the answer its API documents. By itself it says nothing against the
    provider (it answered): it does not count against its breaker, and nothing of it is
    cached. The subclasses below say more: about one city, or against the provider."""

    blames_provider: ClassVar[bool] = False
    transient: ClassVar[bool] = False


class UnusableAnswer(UpstreamBadResponse):
    """The provider's answer for this one city is unusable (a temperature missing or out of
    range, a field of the wrong type, a 4xx for its coordinates): the city's problem, cached
    briefly so that repeating it costs no upstream call.

    `outcome` is set, like CityNotFound's, when the answer came from the cache."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after_s: float | None = None,
        attempted: bool = True,
        outcome: CacheOutcome | None = None,
    ) -> None:
        super().__init__(reason, retry_after_s=retry_after_s, attempted=attempted)
        self.outcome = outcome


class UpstreamUnreadable(UpstreamBadResponse):
    """The provider's body is not JSON at all (a gateway's error page sent as a 200, a
    truncated write, a Content-Encoding that does not decode): no city's answer looks
    like that, so unlike other bad responses it counts against the provider's breaker."""

    blames_provider: ClassVar[bool] = True


class UpstreamRejectedKey(UpstreamBadResponse):
    """The provider refused our credentials (401): every call fails until an operator
    fixes the key, so unlike other bad responses this one counts against its breaker."""

    blames_provider: ClassVar[bool] = True


class UpstreamTimedOut(UpstreamUnavailable):
    """An HTTP request to the provider got no whole answer within UPSTREAM_TIMEOUT: that
    upstream is slow, not flaky, and asking again would double its load."""

    transient: ClassVar[bool] = False


class UpstreamRateLimited(UpstreamUnavailable):
    """The provider refused us for exceeding its quota (HTTP 429): it has its own window
    (QuotaWindow), apart from the breaker."""

    blames_provider: ClassVar[bool] = False
    transient: ClassVar[bool] = False


class WaitTimedOut(UpstreamUnavailable):
    """Another worker's fetch did not land before this request's deadline."""

    blames_provider: ClassVar[bool] = False
    transient: ClassVar[bool] = False


class CacheUnavailable(SkycacheError):
    """The shared cache (or lock) backend could not be reached; callers degrade, never fail."""


class UpstreamBudgetSpent(UpstreamRateLimited):
    """Our own upstream budget turned the call away: nothing was sent upstream."""

    def __init__(
        self, reason: str, *, retry_after_s: float | None = None, attempted: bool = False
    ) -> None:
        super().__init__(reason, retry_after_s=retry_after_s, attempted=attempted)


class TooManyMisses(SkycacheError):
    """This client asked for too many names never seen; hits are still answered."""

    def __init__(self, reason: str, *, retry_after_s: float) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


async def counted_if_sent(call: Awaitable[T], count: Callable[[], None]) -> T:
    """`call`'s result, with `count()` run once it is over unless it was turned away before
    any I/O (attempted=False): an answer, a CityNotFound or a failure all went out."""
    sent = True
    try:
        return await call
    except UpstreamUnavailable as error:
        sent = error.attempted
        raise
    finally:
        if sent:
            count()


class GatewayRefused(SkycacheError):
    """Open-Meteo answered the query with its 400: `body` is its error JSON, sent on as is.
    `remembered` is True when the refusal came from the cache."""

    def __init__(self, body: bytes, *, remembered: bool = False) -> None:
        super().__init__("the upstream refused this query")
        self.body = body
        self.remembered = remembered
