"""Wire schemas of the HTTP API, with explicit mappers from domain values."""

from __future__ import annotations

import msgspec

from domain.health import Health
from domain.outcome import WeatherResult


class WeatherResponse(msgspec.Struct, kw_only=True):
    city: str
    temperature: float
    humidity: float | None  # null when the provider did not say
    description: str | None  # null when the provider gave no (known) weather code
    country: str | None
    latitude: float | None
    longitude: float | None
    observed_at: str | None
    provider: str
    stale: bool
    age_seconds: int

    @classmethod
    def from_domain(cls, result: WeatherResult) -> WeatherResponse:
        w = result.weather
        return cls(
            city=w.city,
            temperature=w.temperature,
            humidity=w.humidity,
            description=w.description,
            country=w.country,
            latitude=w.latitude,
            longitude=w.longitude,
            observed_at=w.observed_at,
            provider=w.provider,
            stale=result.stale,
            age_seconds=int(result.age_s),
        )


class StatsResponse(msgspec.Struct, kw_only=True):
    cache_hits: int
    cache_misses: int
    api_calls: int
    avoided_api_calls: int
    hit_ratio: float | None
    stale_served: int
    coalesced: int
    negative_hits: int
    upstream_errors: int
    corrupt_entries: int
    # Calls each provider was sent (retries, failover attempts included), and its failures.
    api_calls_by_provider: dict[str, int] = {}
    upstream_errors_by_provider: dict[str, int] = {}


class HealthResponse(msgspec.Struct, kw_only=True):
    redis_ok: bool
    provider_ok: bool
    cache: str

    @classmethod
    def from_domain(cls, health: Health) -> HealthResponse:
        return cls(redis_ok=health.redis_ok, provider_ok=health.provider_ok, cache=health.cache)


class ErrorResponse(msgspec.Struct, kw_only=True):
    error: str
    detail: str
    status_code: int
