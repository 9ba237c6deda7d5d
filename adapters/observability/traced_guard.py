"""TracedStampedeGuard: a wait span for each request that joins a fetch this process is
already running (those never reach the lock, so TracedLock cannot see them), and a span
around each background refresh."""

from __future__ import annotations

from typing import TypeVar

from opentelemetry import trace

from adapters.observability.traced_lock import KEY, OUTCOME, SCOPE, WAIT_SPAN
from domain.model.errors import UpstreamUnavailable, WaitTimedOut
from domain.use_cases.stampede import Load, Peek, Role, StampedeGuard
from ports.clock import Clock
from ports.lock import Lock

T = TypeVar("T")
REFRESH_SPAN = "skycache.refresh"


class TracedStampedeGuard(StampedeGuard[T]):
    """Joining an in-flight fetch ends "woken" (it answered), "holder_failed" or
    "timed_out", with skycache.lease.scope "process"."""

    def __init__(
        self,
        lock: Lock,
        *,
        tracer: trace.Tracer,
        clock: Clock,
        lock_ttl_s: float = 5.0,
        wait_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(lock, clock=clock, lock_ttl_s=lock_ttl_s, wait_timeout_s=wait_timeout_s)
        self._tracer = tracer

    async def run(self, key: str, load: Load[T], peek: Peek[T]) -> tuple[T, Role]:
        if key not in self._inflight:
            return await super().run(key, load, peek)
        attributes = {KEY: key, SCOPE: "process"}
        with self._tracer.start_as_current_span(WAIT_SPAN, attributes=attributes) as span:
            try:
                found = await super().run(key, load, peek)
            except WaitTimedOut:
                span.set_attribute(OUTCOME, "timed_out")
                raise
            except UpstreamUnavailable:
                span.set_attribute(OUTCOME, "holder_failed")
                raise
            span.set_attribute(OUTCOME, "woken")
            return found

    async def refresh(self, key: str, load: Load[T], peek: Peek[T]) -> None:
        # Started by a stale hit, in a task that inherits its context: a child of that
        # request's span, so it is kept whenever the request is (parent-based sampling).
        with self._tracer.start_as_current_span(REFRESH_SPAN, attributes={KEY: key}):
            await super().refresh(key, load, peek)
