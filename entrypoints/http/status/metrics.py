"""GET /metrics: the Prometheus exposition of every worker's counters and timings."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency

from adapters.observability.readings import Readings
from domain.use_cases.health import Health
from entrypoints.http.middleware.bearer import bearer_guard
from entrypoints.http.no_store import NO_STORE
from entrypoints.http.services import HttpServices


@get(
    "/metrics",
    summary="Prometheus metrics, summed over every worker",
    description="Prometheus text; OpenMetrics when the Accept header asks for it. "
    "Each /stats counter is skycache_<name>_total, its HELP text saying what it counts.",
    media_type="text/plain; version=0.0.4; charset=utf-8",
    cache_control=NO_STORE,
)
async def metrics(
    request: Request[Any, Any, Any],
    services: NamedDependency[HttpServices],
) -> Response[bytes]:
    _, readings = await read_live(services)
    body, content_type = services.instruments.render(request.headers.get("accept"), readings)
    # As a header: a text/ media type would get Litestar's "; charset=utf-8" a second time.
    return Response(body, headers={"content-type": content_type})


async def read_live(services: HttpServices) -> tuple[Health, Readings]:
    """What this worker sees now: the provider's health, each breaker, Redis, the quotas."""
    health = await services.check_health()
    live = services.live
    return health, Readings(
        provider_healthy=health.provider_ok,
        breakers=live.breakers(),
        redis_up=health.shared_cache_ok if live.redis_expected else None,
        quota_per_minute=live.quota_per_minute,
    )


def metrics_routes(token: str) -> list[Any]:
    """/metrics, behind `Authorization: Bearer <METRICS_TOKEN>` when one is set."""
    if not token:
        return [metrics]
    return [Router("/", route_handlers=[metrics], guards=[bearer_guard(token)])]
