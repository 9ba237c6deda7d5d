"""The worker factory with tracing off imports none of the tracing code (ours, the SDK's
tracer, its exporter, the Redis instrumentation) and wraps nothing; with it on, the server
span is the outermost app. Each in a fresh interpreter, as a uvicorn worker builds its app.

(redis-py 8 itself imports the OpenTelemetry API and metrics SDK when they are installed,
for metrics of its own that stay off unless configured; that is not ours to switch.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = """
import json, sys
from entrypoints.worker import create_app_from_env
app = create_app_from_env()
TRACING = ("opentelemetry.sdk.trace", "opentelemetry.exporter",
           "opentelemetry.instrumentation.redis", "adapters.observability.trac",
           "entrypoints.http.middleware.traced_app")
print(json.dumps({
    "app": type(app).__name__,
    "tracing": sorted({m for m in sys.modules if m.startswith(TRACING)}),
}))
"""


def built(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", BUILD],
        cwd=ROOT,
        env={**clean, "SKYCACHE_CACHE": "memory", "WEATHER_PROVIDER": "simulated", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_with_no_otlp_endpoint_nothing_of_opentelemetry_is_imported() -> None:
    assert built() == {"app": "RequestLimits", "tracing": []}


def test_with_an_otlp_endpoint_the_server_span_wraps_the_whole_app() -> None:
    found = built(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert found["app"] == "TracedApp"
    loaded = set(found["tracing"])  # type: ignore[call-overload]
    assert {"opentelemetry.instrumentation.redis", "adapters.observability.tracing"} <= loaded
