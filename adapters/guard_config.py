"""GuardConfig: how hard one upstream is protected, and which failures deserve a retry."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.upstream_quota import Limit
from domain.errors import (
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamRejectedKey,
    UpstreamUnavailable,
    WaitTimedOut,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardConfig:
    concurrency: int = 1  # Open-Meteo's free tier serves one request at a time per IP
    queue_timeout_s: float = 10.0  # longest wait for a free slot before "upstream busy"
    # One attempt (geocoding and forecast together, bodies included) holds a slot at most
    # this long, so one slow upstream answer delays the calls queued behind it no longer.
    call_timeout_s: float = 5.0
    # A caller's whole time in the guard (waiting for a slot, its call, a retry); a retry
    # starts only while a whole call_timeout_s still fits in it.
    deadline_s: float = 10.0
    retries: int = 1
    retry_delay_s: tuple[float, float] = (0.05, 0.15)
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0
    limits: tuple[Limit, ...] = ()  # client-side budget; empty means none


def is_transient(error: UpstreamUnavailable) -> bool:
    """Timeouts, refused or dropped connections and 5xx: worth one more try, unlike a 4xx,
    a body we cannot use or a 429 (get_json raises those as the subclasses excluded here)."""
    return not isinstance(error, UpstreamBadResponse | UpstreamRateLimited | WaitTimedOut)


def blames_provider(error: UpstreamUnavailable) -> bool:
    """What counts against the breaker: transport failures, timeouts and 5xx (and a
    rejected key, which fails every call). A 429 has its own window (QuotaWindow); a body
    we cannot use, above all one unusable for one city, is an answer: the upstream works."""
    if isinstance(error, UpstreamRejectedKey):
        return True
    return not isinstance(error, UpstreamBadResponse | UpstreamRateLimited | WaitTimedOut)
