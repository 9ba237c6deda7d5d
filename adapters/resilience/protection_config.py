"""ProtectionConfig: how hard one upstream is protected."""

from __future__ import annotations

from dataclasses import dataclass


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
