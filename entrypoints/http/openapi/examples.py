"""What /stats and /healthz document, and how every route's answers are documented: each with
a hand-written example that is a real answer (each slice's own are beside it, e.g.
weather/examples.py)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from entrypoints.http.schemas import (
    HealthResponse,
    ProbeResponse,
    StatsResponse,
)

# The numbers add up as the README's /stats table says: 678 misses = 600 fetched + 70
# coalesced + 2 failed fetches + 6 refused by the breaker; 612 calls = 602 for misses +
# 10 refreshes of the 41 stale answers; 3 of them were retried once.
STATS_EXAMPLE = StatsResponse(
    cache_hits=9_322,
    cache_misses=678,
    api_calls=612,
    avoided_api_calls=9_392,
    hit_ratio=0.9322,
    stale_served=41,
    coalesced=70,
    negative_hits=12,
    upstream_errors=8,
    corrupt_entries=0,
    api_attempts=615,
    api_calls_by_provider={"open-meteo": 612},
    api_attempts_by_provider={"open-meteo": 615},
    upstream_errors_by_provider={"open-meteo": 2},
)


def answer(kind: type[Any], description: str, example: Any, summary: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=kind,
        description=description,
        generate_examples=False,  # Litestar's are random values that look like nothing real
        examples=[Example(summary=summary, value=msgspec.to_builtins(example))],
    )


STATS_ANSWERS = {
    200: answer(
        StatsResponse, "Counters since Redis was empty (README, /stats)", STATS_EXAMPLE, "busy"
    )
}
HEALTH_ANSWERS = {
    200: answer(
        HealthResponse,
        "Always 200: the body says what is down",
        HealthResponse(redis_ok=True, provider_ok=True, cache="redis"),
        "all well",
    )
}
LIVE_ANSWERS = {
    200: answer(
        ProbeResponse,
        "Always 200 while the process answers: Redis and the upstream are not asked",
        ProbeResponse(status="alive"),
        "alive",
    )
}
READY_ANSWERS = {
    200: answer(
        ProbeResponse,
        "Route requests here, whether or not Redis and the upstream answer",
        ProbeResponse(status="ready"),
        "ready",
    ),
    503: answer(
        ProbeResponse,
        "Not yet serving, or draining after SIGTERM: route requests elsewhere",
        ProbeResponse(status="draining"),
        "draining",
    ),
}
