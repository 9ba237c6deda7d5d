"""GuardConfig: how hard one upstream is protected, and which failures deserve a retry."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import (
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamUnavailable,
    WaitTimedOut,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardConfig:
    concurrency: int = 1  # Open-Meteo's free tier serves one request at a time per IP
    queue_timeout_s: float = 5.0  # longest wait for a free slot before "upstream busy"
    call_timeout_s: float = 10.0  # backstop: httpx's timeout bounds each read, not a call
    retries: int = 1
    retry_delay_s: tuple[float, float] = (0.05, 0.15)
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0


def is_transient(error: UpstreamUnavailable) -> bool:
    """Timeouts, refused or dropped connections and 5xx: worth one more try, unlike a 4xx,
    a body we cannot use or a 429 (get_json raises those as the subclasses excluded here)."""
    return not isinstance(error, UpstreamBadResponse | UpstreamRateLimited | WaitTimedOut)
