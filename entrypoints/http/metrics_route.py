"""GET /metrics: the Prometheus exposition of every worker's counters and timings."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from entrypoints.http.caching_headers import NO_STORE
from entrypoints.http.services import HttpServices


@get(
    "/metrics",
    summary="Prometheus metrics, summed over every worker",
    description="Prometheus text; OpenMetrics when the Accept header asks for it. "
    "Each /stats counter is skycache_<name>_total, its HELP text saying what it counts.",
    media_type="text/plain; version=0.0.4; charset=utf-8",
    sync_to_thread=False,
    cache_control=NO_STORE,
)
def metrics(
    request: Request[Any, Any, Any],
    services: NamedDependency[HttpServices],
) -> Response[bytes]:
    body, content_type = services.instruments.render(
        request.headers.get("accept"), provider_healthy=services.provider.healthy()
    )
    # As a header: a text/ media type would get Litestar's "; charset=utf-8" a second time.
    return Response(body, headers={"content-type": content_type})
