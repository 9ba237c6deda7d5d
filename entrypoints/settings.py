"""Settings: every knob comes from the environment and is validated once, at start-up."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from adapters.providers import registry
from adapters.providers.spec import ProviderSetting
from domain.model.deadlines import Deadlines

# SettingsError is re-exported: callers catch it from here, beside Settings.
from entrypoints.settings_kinds import SettingsError as SettingsError
from entrypoints.settings_kinds import (
    choice,
    flag,
    grid,
    number,
    optional_count,
    secret,
    text,
    url,
)
from entrypoints.settings_lists import (
    addresses,
    miss_rate,
    origins,
    per_provider,
    provider_list,
    rate,
)

# The parts of SKYCACHE_RUN_DIR, the one directory an instance's workers share: the
# Prometheus values (PROMETHEUS_MULTIPROC_DIR points there), and while Redis is unreachable
# the lock files and copies that stand in for it.
RUN_DIR_PARTS = ("metrics", "locks", "copies")


class StartupError(RuntimeError):
    """The service cannot start as configured; the message says why in one line."""


# SHUTDOWN_DELAY's ceiling: every stop waits that long before it drains, and an orchestrator
# that allows the usual 30 s would kill the process long before a minute was over.
MAX_SHUTDOWN_DELAY_S = 60
# REDIS_POOL_IDLE's least: each period wakes a task to look at every pool, which a few
# milliseconds' period would make a busy loop.
MIN_POOL_IDLE_S = 0.1


@dataclass(frozen=True, slots=True)
class Settings:
    weather_ttl_s: float = number("WEATHER_TTL", 300.0, minimum=1.0)
    stale_ttl_s: float = number("WEATHER_STALE_TTL", 86_400.0)
    jitter_max_s: float = number("WEATHER_TTL_JITTER", 30.0)
    negative_ttl_s: float = number("NEGATIVE_TTL", 600.0, minimum=1.0)
    unusable_ttl_s: float = number("UNUSABLE_TTL", 60.0, minimum=1.0)
    refresh_backoff_s: float = number("REFRESH_BACKOFF", 5.0, minimum=0.1)
    refresh_backoff_max_s: float = number("REFRESH_BACKOFF_MAX", 300.0, minimum=0.1)
    xfetch_beta: float = number("XFETCH_BETA", 0.0)
    lock_ttl_s: float = number("LOCK_TTL", 5.0, minimum=0.1)
    # None: the waiter's deadline in `deadlines`, which is the least a waiter may need.
    lock_wait_timeout_s: float | None = number("LOCK_WAIT_TIMEOUT", None, minimum=0.1)
    cache_backend: str = choice("SKYCACHE_CACHE", "auto", ("auto", "redis", "memory"))
    redis_url: str = url("REDIS_URL", "redis://localhost:6379/0", ("redis", "rediss"))
    redis_sentinels: tuple[tuple[str, int], ...] = addresses("REDIS_SENTINELS")
    redis_sentinel_master: str = text("REDIS_SENTINEL_MASTER", "mymaster")
    redis_cluster_nodes: tuple[tuple[str, int], ...] = addresses("REDIS_CLUSTER_NODES")
    redis_pool_max: int = number("REDIS_POOL_MAX", 200, minimum=1, integer=True)
    redis_pool_idle_s: float = number("REDIS_POOL_IDLE", 30.0)
    redis_timeout_s: float = number("REDIS_TIMEOUT", 0.25, minimum=0.01)
    redis_breaker_failures: int = number("REDIS_BREAKER_FAILURES", 3, minimum=1, integer=True)
    redis_breaker_reset_s: float = number("REDIS_BREAKER_RESET", 1.0, minimum=0.05)
    local_copy_size: int = number("LOCAL_COPY_SIZE", 10_000, integer=True)
    local_copy_shared: bool = flag("LOCAL_COPY_SHARED", True)
    rate_limit: str = rate("RATE_LIMIT")
    metrics_flush_s: float = number("METRICS_FLUSH_INTERVAL", 1.0, minimum=0.05)
    weather_provider: str = provider_list("WEATHER_PROVIDER", registry.SPECS[0].name)
    forecast_ttl_s: float = number("FORECAST_TTL", 900.0, minimum=1.0)
    archive_ttl_s: float = number("ARCHIVE_TTL", 604_800.0, minimum=1.0)
    forecast_freshness: str = choice("FORECAST_FRESHNESS", "ttl", ("ttl", "model-runs"))
    model_run_margin_s: float = number("MODEL_RUN_MARGIN", 900.0)
    model_run_refresh_s: float = number("MODEL_RUN_REFRESH", 60.0, minimum=1.0)
    upstream_timeout_s: float = number("UPSTREAM_TIMEOUT", 5.0, minimum=0.01)
    upstream_max_body: int = number("UPSTREAM_MAX_BODY", 1_048_576, minimum=1024, integer=True)
    upstream_retry_after_max_s: float = number("UPSTREAM_RETRY_AFTER_MAX", 3_600.0, minimum=1.0)
    upstream_concurrency: int = number("UPSTREAM_CONCURRENCY", 1, minimum=1, integer=True)
    upstream_retries: int = number("UPSTREAM_RETRIES", 1, integer=True)
    breaker_failures: int = number("BREAKER_FAILURES", 5, minimum=1, integer=True)
    breaker_reset_s: float = number("BREAKER_RESET", 30.0, minimum=0.1)
    upstream_max_per_minute: int | None = optional_count("UPSTREAM_MAX_PER_MINUTE")
    upstream_max_per_hour: int | None = optional_count("UPSTREAM_MAX_PER_HOUR")
    upstream_max_per_day: int | None = optional_count("UPSTREAM_MAX_PER_DAY")
    upstream_max_per_month: int | None = optional_count("UPSTREAM_MAX_PER_MONTH")
    upstream_misses_per_client: str | None = miss_rate("UPSTREAM_MISSES_PER_CLIENT")
    upstream_budget_shares: int = number("UPSTREAM_BUDGET_SHARES", 0, integer=True)
    workers: int = number("SKYCACHE_WORKERS", 1, minimum=1, integer=True)
    run_dir: str = text("SKYCACHE_RUN_DIR", "")
    shutdown_delay_s: float = number("SHUTDOWN_DELAY", 0.0)
    near_cache_ttl_s: float = number("NEAR_CACHE_TTL", 1.0)
    near_cache_size: int = number("NEAR_CACHE_SIZE", 4096, integer=True)
    coord_grid: float = grid("COORD_GRID", "0.01")
    cors_allow_origins: tuple[str, ...] = origins("CORS_ALLOW_ORIGINS")
    log_level: str = choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
    log_requests: bool = flag("LOG_REQUESTS", True)
    status_page: bool = flag("STATUS_PAGE", True)
    admin_token: str = secret("ADMIN_TOKEN")
    metrics_token: str = secret("METRICS_TOKEN")
    # Last: each provider's own variables (URLs, keys), declared in its SPEC.
    provider_options: Mapping[str, str] = per_provider()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        values = {f.name: _reader(f)(source) for f in dataclasses.fields(cls)}
        settings = cls(**values)
        if settings.upstream_retries > 1:
            raise SettingsError("UPSTREAM_RETRIES must be 0 or 1")
        if 0 < settings.redis_pool_idle_s < MIN_POOL_IDLE_S:
            raise SettingsError(
                f"REDIS_POOL_IDLE must be 0 (never) or at least {MIN_POOL_IDLE_S:g}"
            )
        if settings.shutdown_delay_s > MAX_SHUTDOWN_DELAY_S:
            raise SettingsError(f"SHUTDOWN_DELAY must be at most {MAX_SHUTDOWN_DELAY_S}")
        specs = registry.by_name()
        for name in settings.providers:
            for needed in (s for s in specs[name].settings if s.required):
                if not settings.provider_options[needed.env]:
                    raise SettingsError(f"WEATHER_PROVIDER uses {name}: set {needed.env}")
        _check_wait_timeout(settings)
        if settings.redis_sentinels and settings.redis_cluster_nodes:
            raise SettingsError("REDIS_SENTINELS and REDIS_CLUSTER_NODES: set one, not both")
        database = redis_database(settings.redis_url)
        if settings.redis_cluster_nodes and database != 0:
            raise SettingsError("REDIS_CLUSTER_NODES is set: a cluster has only database 0")
        return settings

    def secrets(self) -> tuple[str, ...]:
        """Every secret value configured, to be masked wherever it might appear."""
        values = [getattr(self, f.name) for f in dataclasses.fields(self) if is_secret(f)]
        values += [
            self.provider_options[s.env] for s in registry.provider_settings() if s.kind == "secret"
        ]
        password = urlparse(self.redis_url).password
        if password:
            values += [password, unquote(password)]
        return tuple(value for value in values if value)

    def run_path(self, part: str) -> Path | None:
        """One of RUN_DIR_PARTS inside SKYCACHE_RUN_DIR; None when no directory is shared
        (the app started some other way than `skycache serve`)."""
        assert part in RUN_DIR_PARTS, part
        return Path(self.run_dir) / part if self.run_dir else None

    @property
    def deadlines(self) -> Deadlines:
        """Every time bound of a fetch, from UPSTREAM_TIMEOUT, LOCK_TTL, REDIS_TIMEOUT and
        REDIS_BREAKER_RESET."""
        return Deadlines(
            request_s=self.upstream_timeout_s,
            calls=tuple(registry.by_name()[name].requests_per_call for name in self.providers),
            redis_s=self.redis_timeout_s,
            lease_s=self.lock_ttl_s,
            breaker_reset_s=self.redis_breaker_reset_s,
        )

    @property
    def wait_timeout_s(self) -> float:
        """How long a request waits for another's fetch: LOCK_WAIT_TIMEOUT, else derived."""
        return self.lock_wait_timeout_s or self.deadlines.waiter_s

    @property
    def providers(self) -> tuple[str, ...]:
        """WEATHER_PROVIDER's names, in failover order."""
        return tuple(self.weather_provider.split(","))


def _check_wait_timeout(settings: Settings) -> None:
    """A waiter that gives up before its owner may still answer turns a slow answer into
    a 503 (docs/TIMING.md): refused, rather than honoured."""
    chosen, needed = settings.lock_wait_timeout_s, settings.deadlines.waiter_s
    if chosen is not None and chosen < needed:
        raise SettingsError(
            f"LOCK_WAIT_TIMEOUT={chosen:g} is shorter than the {needed:.2f} s another "
            "request's fetch may take (docs/TIMING.md): raise it, or leave it unset"
        )


def redis_database(url: str) -> int:
    """REDIS_URL's database index (its path; 0 when none). Whether the server has that
    many databases only the server knows: startup asks it."""
    path = urlparse(url).path.strip("/") or "0"
    if not path.isdigit():
        raise SettingsError(f"REDIS_URL: the database index {path!r} must be a whole number")
    return int(path)


def _reader(f: dataclasses.Field[Any]) -> Callable[[Mapping[str, str]], Any]:
    reader: Callable[[Mapping[str, str]], Any] = f.metadata["read"]
    return reader


def is_secret(f: dataclasses.Field[Any]) -> bool:
    return bool(f.metadata.get("secret"))


def own_fields() -> list[dataclasses.Field[Any]]:
    """Settings' fields that are one variable each (all but the providers' options)."""
    return [f for f in dataclasses.fields(Settings) if "env" in f.metadata]


def provider_variables() -> tuple[ProviderSetting, ...]:
    """The variables the providers declare, in the registry's order."""
    return registry.provider_settings()


def documented_variables() -> list[str]:
    """Every environment variable Settings reads: its own, then the providers'."""
    return [f.metadata["env"] for f in own_fields()] + [s.env for s in provider_variables()]
