"""ProtectionConfig: how hard one upstream is protected, and which failures deserve a retry."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.errors import (
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamRejectedKey,
    UpstreamTimedOut,
    UpstreamUnavailable,
    UpstreamUnreadable,
    WaitTimedOut,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionConfig:
    """Its time bounds come from domain.model.deadlines.Deadlines (see protection_config
    in entrypoints/wiring/upstream.py); the defaults here are Deadlines() for Open-Meteo."""

    concurrency: int = 1  # Open-Meteo's free tier serves one request at a time per IP
    # One attempt (geocoding and forecast in sequence, bodies included) holds a slot at
    # most this long: a backstop, since each HTTP request has its own timeout.
    call_timeout_s: float = 10.5
    # Longest wait for a free slot before "upstream busy": one whole attempt, and a moment
    # for the caller in the slot to give it up.
    queue_timeout_s: float = 11.0
    # The whole call, slot wait and retry included: a retry is made only if a whole
    # attempt still fits before it.
    deadline_s: float = 21.5
    retries: int = 1
    retry_delay_s: tuple[float, float] = (0.05, 0.15)
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0


def is_transient(error: UpstreamUnavailable) -> bool:
    """Refused or dropped connections and 5xx: worth one more try, unlike a 4xx, a body we
    cannot use or a 429 (get_json raises those as the subclasses excluded here), and a
    timeout: that upstream is slow, not flaky, and asking again doubles its load."""
    excluded = UpstreamBadResponse | UpstreamRateLimited | UpstreamTimedOut | WaitTimedOut
    return not isinstance(error, excluded)


def blames_provider(error: UpstreamUnavailable) -> bool:
    """What counts against the breaker: transport failures, timeouts and 5xx, and two
    answers no city causes: a rejected key (it fails every call) and a body that is not
    JSON. A 429 has its own window (QuotaWindow); any other body we cannot use (one
    city's unusable answer, an odd 200, one over the size cap) is an answer: it works."""
    if isinstance(error, UpstreamRejectedKey | UpstreamUnreadable):
        return True
    return not isinstance(error, UpstreamBadResponse | UpstreamRateLimited | WaitTimedOut)
