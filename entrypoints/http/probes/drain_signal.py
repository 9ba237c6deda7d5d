"""SIGTERM turns /readyz to 503 at once, and uvicorn stops listening SHUTDOWN_DELAY later."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

import uvicorn

from entrypoints.http.probes.routes import Phase, Readiness

# How long uvicorn waits for requests in flight once it stops listening
# (its timeout_graceful_shutdown); the Kubernetes grace period is counted from it.
DRAIN_TIMEOUT_S = 10


@contextlib.contextmanager
def drain_on_sigterm(readiness: Readiness, delay_s: float) -> Iterator[None]:
    """While inside, a SIGTERM marks `readiness` draining, then reaches uvicorn's own handler
    `delay_s` later: load balancers that poll /readyz stop sending requests before the
    listener closes, and uvicorn then drains what is in flight as before.

    Only under uvicorn's signal capture (in its worker, or its single process): an app run
    in-process by a test leaves the process's handlers alone."""
    uvicorns = signal.getsignal(signal.SIGTERM)
    if not isinstance(getattr(uvicorns, "__self__", None), uvicorn.Server) or not callable(
        uvicorns
    ):
        yield
        return
    loop = asyncio.get_running_loop()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        # A group-wide SIGTERM reaches a worker twice (directly, and from its supervisor):
        # the first one starts the countdown, later ones change nothing.
        if readiness.phase is Phase.DRAINING:
            return
        readiness.drain()
        loop.call_soon_threadsafe(loop.call_later, delay_s, uvicorns, signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, uvicorns)
