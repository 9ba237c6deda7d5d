"""ObservedTransport: an httpx transport that reports every upstream call and logs failures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import httpx

from ports.clock import Clock

log = logging.getLogger("skycache.upstream")

# (endpoint, outcome, seconds); outcome is "ok", "http_4xx", "http_429", "http_5xx",
# "timeout" or "connection_error", a small fixed set fit for a metric label.
OnCall = Callable[[str, str, float], None]


class ObservedTransport(httpx.AsyncBaseTransport):
    """Times each call up to its response headers; `endpoints` names URL paths for labels."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        clock: Clock,
        on_call: OnCall,
        endpoints: Mapping[str, str],
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._on_call = on_call
        self._endpoints = endpoints

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = self._endpoints.get(request.url.path, "other")
        started = self._clock.monotonic()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            self._report(endpoint, "timeout", started, None)
            raise
        except httpx.HTTPError:
            self._report(endpoint, "connection_error", started, None)
            raise
        self._report(endpoint, _outcome(response.status_code), started, response.status_code)
        return response

    def _report(self, endpoint: str, outcome: str, started: float, status: int | None) -> None:
        seconds = self._clock.monotonic() - started
        self._on_call(endpoint, outcome, seconds)
        if outcome != "ok":
            log.warning(
                "upstream call failed",
                extra={
                    "endpoint": endpoint,
                    "outcome": outcome,
                    "upstream_status": status,
                    "latency_ms": round(seconds * 1000, 3),
                },
            )

    async def aclose(self) -> None:
        await self._inner.aclose()


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 429:
        return "http_429"
    return "http_5xx" if status >= 500 else "http_4xx"
