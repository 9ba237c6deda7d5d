"""ObservedApp: the ASGI wrapper that counts, times and logs every request."""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Send

from adapters.observability.prometheus_instruments import Instruments
from domain.model.gateway import Api
from entrypoints.http.middleware.access_log import AccessLog
from entrypoints.http.middleware.http_only import HttpOnlyWrapper
from entrypoints.http.weather import WEATHER_PATH

log = logging.getLogger("skycache.access")

_ROUTES = frozenset(
    {
        WEATHER_PATH,
        "/weather/batch",
        "/stats",
        "/healthz",
        "/livez",
        "/readyz",
        "/metrics",
        "/status",
        "/status/data",
        "/admin/warm",
        *(api.path for api in Api),
    }
)
_MAX_CACHED_LABELS = 1024


def route_of(path: str) -> str:
    """A bounded label: unknown paths (404s, scanners) must not mint new time series."""
    if path in _ROUTES:
        return path
    if path.startswith("/admin/cache/"):
        return "/admin/cache"  # one label, whichever city
    return "/schema" if path.startswith("/schema") else "unmatched"


class ObservedApp(HttpOnlyWrapper):
    """Wraps the app behind the near cache: each request is counted, timed and logged.

    The near cache's hits never get here: it reports them through `near_hit()`, which
    only counts (batched) and logs, which keeps that path short
    (docs/BENCHMARKS.md, "What keeps a hit cheap").
    """

    def __init__(
        self, app: ASGIApp, instruments: Instruments, *, access_log: AccessLog | None
    ) -> None:
        super().__init__(app)
        self._instruments = instruments
        self._batch = instruments.batch
        self._near_hits = instruments.requests.labels(WEATHER_PATH, "200", "HIT")
        self._labelled: dict[tuple[str, int, str], tuple[Any, Any]] = {}
        self._log = access_log if log.isEnabledFor(logging.INFO) else None

    def near_hit(self) -> None:
        self._batch.add(self._near_hits)
        if self._log is not None:
            # Not timed: a near-cache hit is over before a timer would say anything.
            self._log.write("GET", WEATHER_PATH, 200, None, "HIT")

    def fast_answer(self, path: str, status: int, cache: str) -> None:
        """An answer another fast path gave (the gateway's near cache): counted by its
        route, status and X-Cache, and logged, untimed, as near_hit()."""
        self._batch.add(self._children(path, status, cache)[0])
        if self._log is not None:
            self._log.write("GET", path, status, None, cache)

    def refused(self, scope: HTTPScope) -> None:
        """A request refused in front of the app (RATE_LIMIT's 429): counted and logged."""
        self._record(scope, 429, "", 0.0)

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        seen: list[Any] = [500, ""]  # status, X-Cache; 500 if the app died before answering

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen[0] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"x-cache":
                        seen[1] = value.decode("latin-1")
            await send(message)

        try:
            await self._app(scope, receive, observed_send)
        finally:
            self._record(scope, seen[0], seen[1], time.perf_counter() - started)

    def _record(self, scope: HTTPScope, status: int, cache: str, seconds: float) -> None:
        count, latency = self._children(scope["path"], status, cache)
        self._batch.add(count)
        latency.observe(seconds)
        if self._log is not None:
            self._log.write(scope["method"], scope["path"], status, seconds, cache or None)

    def _children(self, path: str, status: int, cache: str) -> tuple[Any, Any]:
        # labels() costs several times this lookup, on every request that reaches the app.
        key = (path, status, cache)
        found = self._labelled.get(key)
        if found is None:
            labels = (route_of(path), str(status), cache)
            instruments = self._instruments
            found = (instruments.requests.labels(*labels), instruments.latency.labels(*labels))
            if len(self._labelled) < _MAX_CACHED_LABELS:  # whatever paths clients send
                self._labelled[key] = found
        return found
