"""TracedTransport: an httpx transport with a client span for every upstream attempt."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from adapters.observability.redaction import redact
from adapters.upstream_call import call_of

ENDPOINT = "skycache.upstream.endpoint"
PRIORITY = "skycache.admission.priority"
# Per task, the failed attempts at each URL since its last answer: what a retry resends.
_FAILURES: ContextVar[dict[str, int] | None] = ContextVar(
    "skycache_upstream_failures", default=None
)


class TracedTransport(httpx.AsyncBaseTransport):
    """Spans per the HTTP client conventions: "{method} {url.template}" for the paths
    `endpoints` names, else the method; url.full with its credentials masked, the status,
    error.type, and http.request.resend_count on a retry."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, tracer: trace.Tracer, endpoints: Mapping[str, str]
    ) -> None:
        self._inner = inner
        self._tracer = tracer
        self._endpoints = endpoints

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = redact(str(request.url))
        failures = _failures()
        resends = failures.get(url, 0)
        path = request.url.path
        endpoint = self._endpoints.get(path)
        attributes = _attributes(request, url, endpoint or "other")
        if endpoint is not None:  # a known path is a template: no id or city in it
            attributes["url.template"] = path
        with self._tracer.start_as_current_span(
            f"{request.method} {path}" if endpoint else request.method,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            if resends:
                span.set_attribute("http.request.resend_count", resends)
            try:
                response = await self._inner.handle_async_request(request)
            except httpx.HTTPError as error:
                failures[url] = resends + 1
                span.set_attribute("error.type", type(error).__name__)
                span.set_status(StatusCode.ERROR)
                raise
            status = response.status_code
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                failures[url] = resends + 1
                span.set_attribute("error.type", str(status))
                span.set_status(StatusCode.ERROR)
            else:
                failures.pop(url, None)
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _attributes(request: httpx.Request, url: str, endpoint: str) -> dict[str, str | int]:
    return {
        "http.request.method": request.method,
        "url.full": url,
        "server.address": request.url.host,
        "server.port": request.url.port or (443 if request.url.scheme == "https" else 80),
        ENDPOINT: endpoint,
        PRIORITY: call_of(request).priority.value,
    }


def _failures() -> dict[str, int]:
    found = _FAILURES.get()
    if found is None:
        found = {}
        _FAILURES.set(found)
    return found
