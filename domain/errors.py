"""The domain's error hierarchy; every edge translates its library's errors into these."""

from __future__ import annotations

from domain.outcome import CacheOutcome


class SkycacheError(Exception):
    """Base of every error Skycache raises on purpose."""


class InvalidCity(SkycacheError):
    """The city parameter is not an acceptable city name."""


class CityNotFound(SkycacheError):
    """The provider knows no city by that name.

    `outcome` says how the use case learned it (NEGATIVE from the cache, MISS or COALESCED
    from a fetch), for the X-Cache header; None where no cache was involved (providers)."""

    def __init__(self, message: str, *, outcome: CacheOutcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


class UpstreamUnavailable(SkycacheError):
    """No answer could be had from the weather provider and no cached copy exists."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class UpstreamBadResponse(UpstreamUnavailable):
    """The provider answered, but with something we cannot use (bad JSON, missing fields)."""


class UpstreamRateLimited(UpstreamUnavailable):
    """The provider refused us for exceeding its quota (HTTP 429)."""


class WaitTimedOut(UpstreamUnavailable):
    """Another worker's fetch did not land before this request's deadline."""


class CacheUnavailable(SkycacheError):
    """The shared cache (or lock) backend could not be reached; callers degrade, never fail."""


class UpstreamBudgetSpent(UpstreamRateLimited):
    """Our own upstream budget turned the call away: nothing was sent upstream."""


class TooManyMisses(SkycacheError):
    """This client asked for too many names never seen; hits are still answered."""

    def __init__(self, reason: str, *, retry_after_s: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s
