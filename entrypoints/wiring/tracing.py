"""Tracing, when the standard OpenTelemetry variables ask for it; with them unset nothing
of OpenTelemetry is imported and every port and transport is left as it was."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from domain.model.entry import CacheEntry
from domain.use_cases.stampede import StampedeGuard
from entrypoints.settings import StartupError
from ports.budget import UpstreamBudget
from ports.lock import Lock


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """On when an OTLP endpoint is named, unless OTEL_SDK_DISABLED says otherwise."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


# What start_tracing imports: the SDK, its OTLP/HTTP exporter, the Redis instrumentation.
NEEDED = (
    "opentelemetry.sdk",
    "opentelemetry.exporter.otlp.proto.http",
    "opentelemetry.instrumentation.redis",
)


def check_installed(
    environ: Mapping[str, str] = os.environ,
    find: Callable[[str], object | None] = importlib.util.find_spec,
) -> None:
    """A one-line StartupError when tracing is asked for but the otel extra is missing."""
    if not wanted(environ):
        return
    for module in NEEDED:
        try:
            found = find(module)
        except ModuleNotFoundError:  # its parent package is missing
            found = None
        if found is None:
            raise StartupError(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing is not installed "
                f"(no {module}): pip install 'skycache[otel]'"
            )


def traced_lock(lock: Lock) -> Lock:
    if not wanted():
        return lock
    from adapters.observability.traced_lock import TracedLock
    from adapters.observability.tracing import tracer

    return TracedLock(lock, tracer())


def stampede_guard(lock: Lock, **options: Any) -> StampedeGuard[CacheEntry]:
    if not wanted():
        return StampedeGuard(lock, **options)
    from adapters.observability.traced_guard import TracedStampedeGuard
    from adapters.observability.tracing import tracer

    return TracedStampedeGuard(lock, tracer=tracer(), **options)


def traced_budget(budget: UpstreamBudget) -> UpstreamBudget:
    if not wanted():
        return budget
    from adapters.observability.traced_budget import TracedBudget
    from adapters.observability.tracing import tracer

    return TracedBudget(budget, tracer())


def traced_transport(
    transport: httpx.AsyncBaseTransport, endpoints: Mapping[str, str]
) -> httpx.AsyncBaseTransport:
    if not wanted():
        return transport
    from adapters.observability.traced_transport import TracedTransport
    from adapters.observability.tracing import tracer

    return TracedTransport(transport, tracer(), endpoints)
