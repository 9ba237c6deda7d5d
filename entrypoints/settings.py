"""Settings: every knob comes from the environment and is validated once, at start-up."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse


class SettingsError(ValueError):
    """One bad variable; the message names it and says why, fit for a one-line exit."""


def _number(name: str, default: float, *, minimum: float = 0.0, integer: bool = False) -> Any:
    def read(env: Mapping[str, str]) -> float | int:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            value: float | int = int(raw) if integer else float(raw)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            raise SettingsError(f"{name}={raw!r} is not {kind}") from None
        if not value >= minimum:  # also rejects nan
            raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
        return value

    return field(default=default, metadata={"env": name, "read": read})


def _choice(name: str, default: str, choices: tuple[str, ...]) -> Any:
    def read(env: Mapping[str, str]) -> str:
        value = env.get(name, "").strip().lower() or default
        if value not in choices:
            raise SettingsError(f"{name}={value!r} must be one of {', '.join(choices)}")
        return value

    return field(default=default, metadata={"env": name, "read": read})


def _url(name: str, default: str, schemes: tuple[str, ...]) -> Any:
    def read(env: Mapping[str, str]) -> str:
        value = env.get(name, "").strip() or default
        parsed = urlparse(value)
        if parsed.scheme not in schemes or not parsed.hostname:
            raise SettingsError(f"{name}={value!r} must be a {'/'.join(schemes)} URL with a host")
        return value.rstrip("/")

    return field(default=default, metadata={"env": name, "read": read})


def _text(name: str, default: str) -> Any:
    def read(env: Mapping[str, str]) -> str:
        return env.get(name, "").strip() or default

    return field(default=default, metadata={"env": name, "read": read})


@dataclass(frozen=True, slots=True)
class Settings:
    weather_ttl_s: float = _number("WEATHER_TTL", 300.0, minimum=1.0)
    stale_ttl_s: float = _number("WEATHER_STALE_TTL", 86_400.0)
    jitter_max_s: float = _number("WEATHER_TTL_JITTER", 30.0)
    negative_ttl_s: float = _number("NEGATIVE_TTL", 600.0, minimum=1.0)
    refresh_backoff_s: float = _number("REFRESH_BACKOFF", 5.0, minimum=0.1)
    refresh_backoff_max_s: float = _number("REFRESH_BACKOFF_MAX", 300.0, minimum=0.1)
    xfetch_beta: float = _number("XFETCH_BETA", 0.0)
    lock_ttl_s: float = _number("LOCK_TTL", 5.0, minimum=0.1)
    lock_wait_timeout_s: float = _number("LOCK_WAIT_TIMEOUT", 10.0, minimum=0.1)
    cache_backend: str = _choice("SKYCACHE_CACHE", "auto", ("auto", "redis", "memory"))
    redis_url: str = _url("REDIS_URL", "redis://localhost:6379/0", ("redis", "rediss"))
    redis_pool_max: int = _number("REDIS_POOL_MAX", 200, minimum=1, integer=True)
    redis_timeout_s: float = _number("REDIS_TIMEOUT", 0.25, minimum=0.01)
    metrics_flush_s: float = _number("METRICS_FLUSH_INTERVAL", 1.0, minimum=0.05)
    weather_provider: str = _choice("WEATHER_PROVIDER", "open-meteo", ("open-meteo", "simulated"))
    geocoding_url: str = _url(
        "OPEN_METEO_GEOCODING_URL", "https://geocoding-api.open-meteo.com", ("http", "https")
    )
    forecast_url: str = _url(
        "OPEN_METEO_FORECAST_URL", "https://api.open-meteo.com", ("http", "https")
    )
    upstream_timeout_s: float = _number("UPSTREAM_TIMEOUT", 5.0, minimum=0.01)
    simulated_latency_s: float = _number("SIMULATED_LATENCY", 0.05)
    simulated_failure_rate: float = _number("SIMULATED_FAILURE_RATE", 0.0)
    near_cache_ttl_s: float = _number("NEAR_CACHE_TTL", 1.0)
    near_cache_size: int = _number("NEAR_CACHE_SIZE", 4096, integer=True)
    log_level: str = _choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        values = {f.name: _reader(f)(source) for f in dataclasses.fields(cls)}
        settings = cls(**values)
        if settings.simulated_failure_rate > 1:
            raise SettingsError("SIMULATED_FAILURE_RATE must be between 0 and 1")
        return settings


def _reader(f: dataclasses.Field[Any]) -> Callable[[Mapping[str, str]], Any]:
    reader: Callable[[Mapping[str, str]], Any] = f.metadata["read"]
    return reader


def documented_variables() -> list[str]:
    """Every environment variable the service reads, for the README's table check."""
    return [f.metadata["env"] for f in dataclasses.fields(Settings)]
