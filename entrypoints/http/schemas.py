"""Wire schemas every part of the HTTP API shares (errors) or that app.py's /stats and
/healthz answer with; each slice keeps its own beside it (weather/schemas.py).

Each field carries a hand-written example from a real answer: the OpenAPI docs show
these, never generated values."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from domain.model.counters import CounterName
from domain.use_cases.health import Health
from domain.use_cases.stats import BY_PROVIDER_MEANINGS, MEANINGS


def _counter(counter: CounterName, example: int) -> Meta:
    return Meta(description=MEANINGS[counter], examples=[example])


def _by_provider(counter: CounterName, example: dict[str, int]) -> Meta:
    return Meta(description=BY_PROVIDER_MEANINGS[counter], examples=[example])


def _by_api(counter: CounterName) -> Meta:
    return Meta(description=f"{MEANINGS[counter]}, by API", examples=[{"forecast": 0}])


class StatsResponse(msgspec.Struct, kw_only=True):
    """Summed over every worker and instance sharing the cache; the examples are those of
    openapi/examples.py's STATS_EXAMPLE, whose numbers add up."""

    cache_hits: Annotated[int, _counter(CounterName.CACHE_HITS, 9_322)]
    cache_misses: Annotated[int, _counter(CounterName.CACHE_MISSES, 678)]
    api_calls: Annotated[int, _counter(CounterName.API_CALLS, 612)]
    avoided_api_calls: Annotated[int, _counter(CounterName.AVOIDED_API_CALLS, 9_392)]
    hit_ratio: (
        Annotated[
            float,
            Meta(
                description="cache_hits / (cache_hits + cache_misses); null before any request",
                examples=[0.9322],
            ),
        ]
        | None
    )
    stale_served: Annotated[int, _counter(CounterName.STALE_SERVED, 41)]
    coalesced: Annotated[int, _counter(CounterName.COALESCED, 70)]
    negative_hits: Annotated[int, _counter(CounterName.NEGATIVE_HITS, 12)]
    upstream_errors: Annotated[int, _counter(CounterName.UPSTREAM_ERRORS, 8)]
    corrupt_entries: Annotated[int, _counter(CounterName.CORRUPT_ENTRIES, 0)]
    api_attempts: Annotated[int, _counter(CounterName.API_ATTEMPTS, 615)] = 0
    api_calls_by_provider: Annotated[
        dict[str, int], _by_provider(CounterName.API_CALLS, {"open-meteo": 612})
    ] = {}
    api_attempts_by_provider: Annotated[
        dict[str, int], _by_provider(CounterName.API_ATTEMPTS, {"open-meteo": 615})
    ] = {}
    upstream_errors_by_provider: Annotated[
        dict[str, int], _by_provider(CounterName.UPSTREAM_ERRORS, {"open-meteo": 2})
    ] = {}
    gateway_hits: Annotated[int, _counter(CounterName.GATEWAY_HITS, 0)] = 0
    gateway_misses: Annotated[int, _counter(CounterName.GATEWAY_MISSES, 0)] = 0
    gateway_stale: Annotated[int, _counter(CounterName.GATEWAY_STALE, 0)] = 0
    gateway_api_calls: Annotated[int, _counter(CounterName.GATEWAY_API_CALLS, 0)] = 0
    gateway_errors: Annotated[int, _counter(CounterName.GATEWAY_ERRORS, 0)] = 0
    gateway_hits_by_api: Annotated[dict[str, int], _by_api(CounterName.GATEWAY_HITS)] = {}
    gateway_misses_by_api: Annotated[dict[str, int], _by_api(CounterName.GATEWAY_MISSES)] = {}
    gateway_stale_by_api: Annotated[dict[str, int], _by_api(CounterName.GATEWAY_STALE)] = {}
    gateway_api_calls_by_api: Annotated[dict[str, int], _by_api(CounterName.GATEWAY_API_CALLS)] = {}
    gateway_errors_by_api: Annotated[dict[str, int], _by_api(CounterName.GATEWAY_ERRORS)] = {}


class ProbeResponse(msgspec.Struct, kw_only=True):
    status: Annotated[
        str,
        Meta(
            description="alive (/livez); ready, starting or draining (/readyz)",
            examples=["ready"],
        ),
    ]


class HealthResponse(msgspec.Struct, kw_only=True):
    redis_ok: Annotated[bool, Meta(examples=[True])]
    provider_ok: Annotated[bool, Meta(description="Breaker closed, no 429 window", examples=[True])]
    cache: Annotated[str, Meta(description="redis or memory", examples=["redis"])]

    @classmethod
    def from_domain(cls, health: Health) -> HealthResponse:
        return cls(
            redis_ok=health.shared_cache_ok, provider_ok=health.provider_ok, cache=health.cache
        )


class ErrorResponse(msgspec.Struct, kw_only=True):
    error: Annotated[str, Meta(description="A stable code for programs", examples=["invalid_city"])]
    detail: Annotated[
        str,
        Meta(
            description="For people; never echoes the input",
            examples=["city may contain only letters, spaces and - ' . ,"],
        ),
    ]
    status_code: Annotated[int, Meta(description="The HTTP status again", examples=[400])]
