"""GET /status: a live page of the cache's numbers, and GET /status/data, the JSON it polls.

The page is one HTML file with its script and style inline (status.html): no CDN, nothing
to fetch but the JSON, so it works offline and behind a firewall. Its Content-Security-Policy
lets only that script and style run and the page talk only to this server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import time
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler

from adapters.observability.request_summary import summarise
from entrypoints.http.services import AppWiring, HttpServices
from entrypoints.http.status.metrics import read_live
from entrypoints.http.status.top_cities import TopCities

PAGE = Path(__file__).with_name("status.html").read_bytes()
TOP_CITIES = 10


def _hashes(tag: str) -> str:
    bodies = re.findall(rb"<%s>(.*?)</%s>" % (tag.encode(), tag.encode()), PAGE, re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'" for body in bodies
    )


HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; script-src {_hashes('script')}; "
    f"style-src {_hashes('style')}; connect-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
}


def status_routes(wiring: AppWiring) -> list[HTTPRouteHandler]:
    """The page and its data, over the counter of the requests' cities; none when
    STATUS_PAGE=false."""
    if not wiring.settings.status_page:
        return []
    top = wiring.top_cities

    @get("/status", media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
    def status_page() -> Response[bytes]:
        return Response(PAGE, media_type=MediaType.HTML, headers=HEADERS)

    # Not in /schema: the page's own feed, its shape documented in docs/OPERATIONS.md;
    # /stats and /metrics are the interfaces to build on.
    @get("/status/data", include_in_schema=False)
    async def status_data(services: NamedDependency[HttpServices]) -> dict[str, Any]:
        return await status_report(services, top)

    return [status_page, status_data]


async def status_report(services: HttpServices, top: TopCities) -> dict[str, Any]:
    health, live = await read_live(services)
    return {
        "time": time.time(),
        "stats": await services.get_stats(),
        **summarise(services.instruments.collect()),
        "quota_per_minute": dict(live.quota_per_minute),
        "breakers": dict(live.breakers),
        "provider_ok": live.provider_healthy,
        "redis": {
            "cache": health.cache,
            "expected": live.redis_up is not None,
            "up": live.redis_up,
        },
        "top_cities": [{"city": city, "requests": n} for city, n in top.top(TOP_CITIES)],
        "top_cities_window_s": top.window_s,
        # Which worker answered, and its event loop's live tasks: a soak samples them to
        # see that no task is ever left behind (bench/soak).
        "worker": {"pid": os.getpid(), "asyncio_tasks": len(asyncio.all_tasks())},
    }
