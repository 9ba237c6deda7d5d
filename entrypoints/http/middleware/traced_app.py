"""TracedApp: the outermost ASGI wrapper, a server span for every request (fast-path
hits too), named and dressed per the stable HTTP conventions. Imported only when tracing
is on (entrypoints/worker.py)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Send
from opentelemetry import context, propagate, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, StatusCode

from adapters.observability.tracing import SERVER_SPAN
from entrypoints.http.middleware.http_only import HttpOnlyWrapper
from entrypoints.http.middleware.observed_app import route_of
from entrypoints.http.weather import WEATHER_PATH
from entrypoints.http.weather.params import params_of

OUTCOME = "skycache.cache.outcome"
KEY = "skycache.cache.key"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"})
_MAX_PATH = 256  # url.path of a scanner's probe is kept, but not all of it


class _Headers(Getter[Iterable[tuple[bytes, bytes]]]):
    """Reads the W3C traceparent (and tracestate) straight from the ASGI header list."""

    def get(self, carrier: Iterable[tuple[bytes, bytes]], key: str) -> list[str] | None:
        name = key.encode("latin-1")
        found = [v.decode("latin-1") for k, v in carrier if k.lower() == name]
        return found or None

    def keys(self, carrier: Iterable[tuple[bytes, bytes]]) -> list[str]:
        return [k.decode("latin-1") for k, _ in carrier]


_GETTER = _Headers()


class TracedApp(HttpOnlyWrapper):
    """Wraps the whole app: an unsampled request costs one sampling decision and the
    context switch; only a sampled one reads the answer's status and X-Cache."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer, *, grid: Decimal) -> None:
        super().__init__(app)
        self._tracer = tracer
        self._grid = grid
        # The headers the configured propagators read (traceparent, tracestate, baggage by
        # default): most requests carry none, and then extracting is skipped.
        self._fields = frozenset(f.encode("latin-1") for f in propagate.get_global_textmap().fields)

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        headers = scope["headers"]
        fields = self._fields
        if any(name in fields for name, _ in headers):
            parent = propagate.extract(headers, getter=_GETTER)
        else:
            parent = context.get_current()
        span = self._start(scope, parent)
        ctx = trace.set_span_in_context(span, parent)
        token = context.attach(context.set_value(SERVER_SPAN, span, ctx))
        try:
            await self._app(scope, receive, _traced(send, span) if span.is_recording() else send)
        except BaseException as error:
            span.record_exception(error)
            span.set_attribute("error.type", type(error).__qualname__)
            span.set_status(StatusCode.ERROR)
            raise
        finally:
            context.detach(token)
            span.end()

    def _start(self, scope: HTTPScope, parent: context.Context) -> trace.Span:
        method = scope["method"] if scope["method"] in _METHODS else "_OTHER"
        route = route_of(scope["path"])
        # The method is what a sampler may look at; the rest only a sampled span needs.
        span = self._tracer.start_span(
            f"{method} {route}" if route != "unmatched" else method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        )
        if span.is_recording():
            span.set_attributes(_request_attributes(scope, method, route))
            if scope["path"] == WEATHER_PATH:
                self._add_key(span, scope["query_string"])
        return span

    def _add_key(self, span: trace.Span, query_string: bytes) -> None:
        found = params_of(query_string, self._grid)  # None for input the app answers with a 4xx
        if found is not None:
            span.set_attribute(KEY, found.query.key)


def _request_attributes(scope: HTTPScope, method: str, route: str) -> dict[str, str]:
    attributes = {"url.path": scope["path"][:_MAX_PATH], "url.scheme": scope.get("scheme", "http")}
    if route != "unmatched":
        attributes["http.route"] = route
    if method == "_OTHER":
        attributes["http.request.method_original"] = scope["method"][:32]
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    return attributes


def _traced(send: Send, span: trace.Span) -> Send:
    async def traced_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status = message["status"]
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_attribute("error.type", str(status))
                span.set_status(StatusCode.ERROR)
            for name, value in message.get("headers", ()):
                if name.lower() == b"x-cache":
                    span.set_attribute(OUTCOME, value.decode("latin-1"))
        await send(message)

    return traced_send
