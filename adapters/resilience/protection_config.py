"""ProtectionConfig: how hard one upstream is protected, and which failures deserve a retry."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.errors import (
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamRejectedKey,
    UpstreamUnavailable,
    UpstreamUnreadable,
    WaitTimedOut,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionConfig:
    concurrency: int = 1  # Open-Meteo's free tier serves one request at a time per IP
    # One attempt (geocoding and forecast together, bodies included) holds a slot at most
    # this long, so one slow upstream answer delays the calls queued behind it no longer.
    call_timeout_s: float = 5.5
    # Longest wait for a free slot before "upstream busy": one whole call, and a moment
    # for the caller in the slot to give it up.
    queue_timeout_s: float = 6.0
    # A retry starts only this soon after the caller arrived, so that it still ends within
    # twice call_timeout_s: a call that timed out, having used its whole time, never is.
    retry_within_s: float = 5.0
    retries: int = 1
    retry_delay_s: tuple[float, float] = (0.05, 0.15)
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0


def is_transient(error: UpstreamUnavailable) -> bool:
    """Timeouts, refused or dropped connections and 5xx: worth one more try, unlike a 4xx,
    a body we cannot use or a 429 (get_json raises those as the subclasses excluded here)."""
    return not isinstance(error, UpstreamBadResponse | UpstreamRateLimited | WaitTimedOut)


def blames_provider(error: UpstreamUnavailable) -> bool:
    """What counts against the breaker: transport failures, timeouts and 5xx, and two
    answers no city causes: a rejected key (it fails every call) and a body that is not
    JSON. A 429 has its own window (QuotaWindow); any other body we cannot use (one
    city's unusable answer, an odd 200, one over the size cap) is an answer: it works."""
    if isinstance(error, UpstreamRejectedKey | UpstreamUnreadable):
        return True
    return not isinstance(error, UpstreamBadResponse | UpstreamRateLimited | WaitTimedOut)
