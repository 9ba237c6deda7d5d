"""Tracing's set-up in one worker process: the SDK's provider, its OTLP exporter, and the
Redis instrumentation. Imported only when tracing is on (entrypoints/wiring/tracing.py)."""

from __future__ import annotations

import os

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

TRACER_NAME = "skycache"
# The request's server span, for what its children learn about it (the admission decision).
SERVER_SPAN = context.create_key("skycache.server_span")


def start_tracing(exporter: SpanExporter | None = None) -> TracerProvider:
    """The process's provider, made global; call it in each worker, never in a parent
    that forks or spawns them (the exporter's thread and queue are per process).

    The SDK reads the standard variables itself: OTEL_EXPORTER_OTLP_ENDPOINT and the
    exporter's others, OTEL_TRACES_SAMPLER(_ARG), OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*."""
    # The pid tells a host's workers apart (OTEL_RESOURCE_ATTRIBUTES names the instance).
    ours: dict[str, str | int] = {"process.pid": os.getpid()}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        ours[SERVICE_NAME] = TRACER_NAME
    resource = Resource.create(ours)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # Its spans record "GET ?"-style statements (every argument a "?"), the host, port and
    # database index: never a key's value, a password or the URL.
    RedisInstrumentor().instrument(tracer_provider=provider)
    return provider


def tracer() -> trace.Tracer:
    """Ours, from the global provider (a proxy until start_tracing sets it)."""
    return trace.get_tracer(TRACER_NAME)


def server_span() -> trace.Span | None:
    """The server span of the request this code runs for, if any."""
    found = context.get_value(SERVER_SPAN)
    return found if isinstance(found, trace.Span) else None
