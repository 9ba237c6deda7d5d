"""TracedLock: a Lock decorator whose spans show lease takes and how each wait ended."""

from __future__ import annotations

from contextvars import ContextVar

from opentelemetry import trace

from ports.lock import Held, Lease, Lock, Signal, Watch

ACQUIRE_SPAN = "skycache.lease.acquire"
WAIT_SPAN = "skycache.lease.wait"
OUTCOME = "skycache.lease.outcome"
KEY = "skycache.cache.key"
SCOPE = "skycache.lease.scope"  # "cluster": another holder's lease; "process": this one's fetch

WAIT_OUTCOMES = {Signal.DONE: "woken", Signal.FAILED: "holder_failed", Signal.TIMEOUT: "timed_out"}
# The key whose last wait, in this task, heard nothing: a lease taken next was taken over.
_TIMED_OUT: ContextVar[str | None] = ContextVar("skycache_lease_timed_out", default=None)


class TracedLock(Lock):
    """acquire: "acquired", "held" (another holds it) or "took_over" (after a silent wait,
    a lapsed holder's lease); wait: "woken", "holder_failed" or "timed_out"."""

    def __init__(self, inner: Lock, tracer: trace.Tracer) -> None:
        self._inner = inner
        self._tracer = tracer

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        with self._tracer.start_as_current_span(ACQUIRE_SPAN, attributes={KEY: key}) as span:
            attempt = await self._inner.acquire(key, ttl_s)
            span.set_attribute(OUTCOME, _acquired(key, attempt))
            return attempt

    def watch(self, key: str) -> Watch:
        return _TracedWatch(self._inner.watch(key), key, self._tracer)


def _acquired(key: str, attempt: Lease | Held) -> str:
    if isinstance(attempt, Held):
        return "held"
    return "took_over" if _TIMED_OUT.get() == key else "acquired"


class _TracedWatch(Watch):
    def __init__(self, inner: Watch, key: str, tracer: trace.Tracer) -> None:
        self._inner = inner
        self._key = key
        self._tracer = tracer

    async def wait(self, timeout_s: float) -> Signal:
        attributes: dict[str, str | float] = {
            KEY: self._key,
            SCOPE: "cluster",
            "skycache.lease.wait_s": timeout_s,
        }
        with self._tracer.start_as_current_span(WAIT_SPAN, attributes=attributes) as span:
            signal = await self._inner.wait(timeout_s)
            span.set_attribute(OUTCOME, WAIT_OUTCOMES[signal])
        _TIMED_OUT.set(self._key if signal is Signal.TIMEOUT else None)
        return signal

    def close(self) -> None:
        self._inner.close()
