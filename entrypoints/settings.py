"""Settings: every knob comes from the environment and is validated once, at start-up."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from adapters.observability.redaction import redact
from adapters.providers import registry
from adapters.providers.spec import ProviderSetting
from domain.model.deadlines import Deadlines
from domain.model.rate import parse_rate, rate_text

# The parts of SKYCACHE_RUN_DIR, the one directory an instance's workers share: the
# Prometheus values (PROMETHEUS_MULTIPROC_DIR points there), and while Redis is unreachable
# the lock files and copies that stand in for it.
RUN_DIR_PARTS = ("metrics", "locks", "copies")


class SettingsError(ValueError):
    """One bad variable; the message names it and says why, fit for a one-line exit."""


class StartupError(RuntimeError):
    """The service cannot start as configured; the message says why in one line."""


# SHUTDOWN_DELAY's ceiling: every stop waits that long before it drains, and an orchestrator
# that allows the usual 30 s would kill the process long before a minute was over.
MAX_SHUTDOWN_DELAY_S = 60


def _number(
    name: str, default: float | None, *, minimum: float = 0.0, integer: bool = False
) -> Any:
    """A number of at least `minimum`; `default` when unset (None: derived elsewhere)."""

    def read(env: Mapping[str, str]) -> float | int | None:
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
        if not math.isfinite(value):  # inf, 1e999: a TTL or timeout that never ends
            raise SettingsError(f"{name}={raw!r} must be a finite number")
        return value

    return field(default=default, metadata={"env": name, "read": read})


def _choice(name: str, default: str, choices: tuple[str, ...]) -> Any:
    def read(env: Mapping[str, str]) -> str:
        value = env.get(name, "").strip().lower() or default
        if value not in choices:
            raise SettingsError(f"{name}={value!r} must be one of {', '.join(choices)}")
        return value

    return field(default=default, metadata={"env": name, "read": read})


_FLAGS = {"1": True, "true": True, "yes": True, "on": True}
_FLAGS.update({"0": False, "false": False, "no": False, "off": False})
_FLAG_WORDS = ", ".join(_FLAGS)


def _flag(name: str, default: bool) -> Any:
    def read(env: Mapping[str, str]) -> bool:
        raw = env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw not in _FLAGS:
            raise SettingsError(f"{name}={raw!r} must be one of {_FLAG_WORDS}")
        return _FLAGS[raw]

    return field(default=default, metadata={"env": name, "read": read})


def _url(name: str, default: str, schemes: tuple[str, ...]) -> Any:
    def read(env: Mapping[str, str]) -> str:
        value = env.get(name, "").strip() or default
        parsed = urlparse(value)
        shown = redact(value)
        if parsed.scheme not in schemes or not parsed.hostname:
            raise SettingsError(f"{name}={shown!r} must be a {'/'.join(schemes)} URL with a host")
        try:
            port = parsed.port  # ValueError: not a number, or past 65535
        except ValueError:
            port = 0
        if port == 0:
            raise SettingsError(f"{name}={shown!r}: the port must be a number from 1 to 65535")
        return value.rstrip("/")

    return field(default=default, metadata={"env": name, "read": read})


def _text(name: str, default: str) -> Any:
    def read(env: Mapping[str, str]) -> str:
        return env.get(name, "").strip() or default

    return field(default=default, metadata={"env": name, "read": read})


def _secret(name: str) -> Any:
    """Like _text, but kept out of repr(), so that logging the settings never leaks it."""

    def read(env: Mapping[str, str]) -> str:
        return env.get(name, "").strip()

    return field(default="", repr=False, metadata={"env": name, "read": read, "secret": True})


def _addresses(name: str) -> Any:
    """A comma list of host:port ([v6]:port too): the cluster's nodes, or the Sentinels to
    ask for the primary; empty is none."""

    def read(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
        raw = env.get(name, "").strip()
        if not raw:
            return ()
        found = []
        for item in (part.strip() for part in raw.split(",")):
            host, _, port = item.rpartition(":")
            host = host.removeprefix("[").removesuffix("]")  # [::1]:26379
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise SettingsError(f"{name}={raw!r}: {item!r} is not host:port")
            found.append((host, int(port)))
        return tuple(found)

    return field(default=(), metadata={"env": name, "read": read})


def _providers(name: str, default: str) -> Any:
    """One provider, or an ordered comma list of them to fail over through."""

    def read(env: Mapping[str, str]) -> str:
        known = tuple(registry.by_name())
        raw = env.get(name, "").strip().lower() or default
        names = [part.strip() for part in raw.split(",")]
        for item in names:
            if item not in known:
                raise SettingsError(
                    f"{name}={raw!r}: {item!r} is not a provider; "
                    f"use one or a comma list of {', '.join(known)}"
                )
        if len(set(names)) < len(names):
            raise SettingsError(f"{name}={raw!r} names a provider twice")
        return ",".join(names)

    return field(default=default, metadata={"env": name, "read": read})


def _provider_option(setting: ProviderSetting, env: Mapping[str, str]) -> str:
    """One provider variable, checked like the settings of its kind; numbers kept as text."""
    name = setting.env
    if setting.kind == "url":
        return str(_url(name, setting.default, ("http", "https")).metadata["read"](env))
    if setting.kind == "secret":
        return env.get(name, "").strip()
    if setting.kind == "text":
        return env.get(name, "").strip() or setting.default
    value = _number(name, float(setting.default), minimum=setting.minimum).metadata["read"](env)
    if value > setting.maximum:
        raise SettingsError(f"{name} must be between {setting.minimum:g} and {setting.maximum:g}")
    return f"{value:g}"


def _provider_options() -> Any:
    """Every provider's own variables (adapters/providers/*.py SPEC.settings), by name."""

    def read(env: Mapping[str, str]) -> Mapping[str, str]:
        return {s.env: _provider_option(s, env) for s in registry.provider_settings()}

    return field(default_factory=lambda: read({}), repr=False, metadata={"read": read})


def _grid(name: str, default: str) -> Any:
    """Degrees, a plain decimal in (0, 10]: the cell size lat/lon are snapped to."""

    def read(env: Mapping[str, str]) -> float:
        raw = env.get(name, "").strip() or default
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise SettingsError(f"{name}={raw!r} is not a number") from None
        if not (value.is_finite() and 0 < value <= 10):
            raise SettingsError(f"{name}={raw!r} must be more than 0 and at most 10 (degrees)")
        return float(value)

    return field(default=float(default), metadata={"env": name, "read": read})


def _origins(name: str) -> Any:
    """A comma list of origins (scheme://host[:port]) browsers may read from, or "*"."""

    def read(env: Mapping[str, str]) -> tuple[str, ...]:
        raw = env.get(name, "").strip()
        origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
        if "*" in origins and len(origins) > 1:
            raise SettingsError(f'{name}={raw!r}: "*" allows every origin; list none beside it')
        for origin in origins:
            parsed = urlparse(origin)
            plain = parsed.scheme in ("http", "https") and parsed.hostname and not parsed.path
            if origin != "*" and not (plain and not parsed.query and "@" not in origin):
                raise SettingsError(
                    f"{name}={raw!r}: {origin!r} is not an origin like https://example.com"
                )
        return origins

    return field(default=(), metadata={"env": name, "read": read})


def _rate_limit(name: str) -> Any:
    """Requests per unit, written "100/minute" (domain.model.rate); empty means no limit."""

    def read(env: Mapping[str, str]) -> str:
        raw = env.get(name, "").strip().lower()
        if not raw:
            return ""
        try:
            return rate_text(parse_rate(raw))
        except ValueError as error:
            raise SettingsError(f"{name}={raw!r} {error}") from None

    return field(default="", metadata={"env": name, "read": read})


def _optional_count(name: str) -> Any:
    """A whole number ≥ 0, or None when unset (the default then depends on other settings)."""

    def read(env: Mapping[str, str]) -> int | None:
        raw = env.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise SettingsError(f"{name}={raw!r} must be a whole number, 0 or more")
        return int(raw)

    return field(default=None, metadata={"env": name, "read": read})


def _miss_rate(name: str) -> Any:
    """Like _rate_limit, but "0" turns it off and unset leaves the default to the provider."""
    limited = _rate_limit(name).metadata["read"]

    def read(env: Mapping[str, str]) -> str | None:
        raw = env.get(name, "").strip()
        if not raw:
            return None
        return "0" if raw == "0" else str(limited(env))

    return field(default=None, metadata={"env": name, "read": read})


@dataclass(frozen=True, slots=True)
class Settings:
    weather_ttl_s: float = _number("WEATHER_TTL", 300.0, minimum=1.0)
    stale_ttl_s: float = _number("WEATHER_STALE_TTL", 86_400.0)
    jitter_max_s: float = _number("WEATHER_TTL_JITTER", 30.0)
    negative_ttl_s: float = _number("NEGATIVE_TTL", 600.0, minimum=1.0)
    unusable_ttl_s: float = _number("UNUSABLE_TTL", 60.0, minimum=1.0)
    refresh_backoff_s: float = _number("REFRESH_BACKOFF", 5.0, minimum=0.1)
    refresh_backoff_max_s: float = _number("REFRESH_BACKOFF_MAX", 300.0, minimum=0.1)
    xfetch_beta: float = _number("XFETCH_BETA", 0.0)
    lock_ttl_s: float = _number("LOCK_TTL", 5.0, minimum=0.1)
    # None: the waiter's deadline in `deadlines`, which is the least a waiter may need.
    lock_wait_timeout_s: float | None = _number("LOCK_WAIT_TIMEOUT", None, minimum=0.1)
    cache_backend: str = _choice("SKYCACHE_CACHE", "auto", ("auto", "redis", "memory"))
    redis_url: str = _url("REDIS_URL", "redis://localhost:6379/0", ("redis", "rediss"))
    redis_sentinels: tuple[tuple[str, int], ...] = _addresses("REDIS_SENTINELS")
    redis_sentinel_master: str = _text("REDIS_SENTINEL_MASTER", "mymaster")
    redis_cluster_nodes: tuple[tuple[str, int], ...] = _addresses("REDIS_CLUSTER_NODES")
    redis_pool_max: int = _number("REDIS_POOL_MAX", 200, minimum=1, integer=True)
    redis_timeout_s: float = _number("REDIS_TIMEOUT", 0.25, minimum=0.01)
    redis_breaker_failures: int = _number("REDIS_BREAKER_FAILURES", 3, minimum=1, integer=True)
    redis_breaker_reset_s: float = _number("REDIS_BREAKER_RESET", 1.0, minimum=0.05)
    local_copy_size: int = _number("LOCAL_COPY_SIZE", 10_000, integer=True)
    rate_limit: str = _rate_limit("RATE_LIMIT")
    metrics_flush_s: float = _number("METRICS_FLUSH_INTERVAL", 1.0, minimum=0.05)
    weather_provider: str = _providers("WEATHER_PROVIDER", registry.SPECS[0].name)
    forecast_ttl_s: float = _number("FORECAST_TTL", 900.0, minimum=1.0)
    archive_ttl_s: float = _number("ARCHIVE_TTL", 604_800.0, minimum=1.0)
    forecast_freshness: str = _choice("FORECAST_FRESHNESS", "ttl", ("ttl", "model-runs"))
    model_run_margin_s: float = _number("MODEL_RUN_MARGIN", 900.0)
    model_run_refresh_s: float = _number("MODEL_RUN_REFRESH", 60.0, minimum=1.0)
    upstream_timeout_s: float = _number("UPSTREAM_TIMEOUT", 5.0, minimum=0.01)
    upstream_max_body: int = _number("UPSTREAM_MAX_BODY", 1_048_576, minimum=1024, integer=True)
    upstream_retry_after_max_s: float = _number("UPSTREAM_RETRY_AFTER_MAX", 3_600.0, minimum=1.0)
    upstream_concurrency: int = _number("UPSTREAM_CONCURRENCY", 1, minimum=1, integer=True)
    upstream_retries: int = _number("UPSTREAM_RETRIES", 1, integer=True)
    breaker_failures: int = _number("BREAKER_FAILURES", 5, minimum=1, integer=True)
    breaker_reset_s: float = _number("BREAKER_RESET", 30.0, minimum=0.1)
    upstream_max_per_minute: int | None = _optional_count("UPSTREAM_MAX_PER_MINUTE")
    upstream_max_per_hour: int | None = _optional_count("UPSTREAM_MAX_PER_HOUR")
    upstream_max_per_day: int | None = _optional_count("UPSTREAM_MAX_PER_DAY")
    upstream_max_per_month: int | None = _optional_count("UPSTREAM_MAX_PER_MONTH")
    upstream_misses_per_client: str | None = _miss_rate("UPSTREAM_MISSES_PER_CLIENT")
    upstream_budget_shares: int = _number("UPSTREAM_BUDGET_SHARES", 0, integer=True)
    workers: int = _number("SKYCACHE_WORKERS", 1, minimum=1, integer=True)
    run_dir: str = _text("SKYCACHE_RUN_DIR", "")
    shutdown_delay_s: float = _number("SHUTDOWN_DELAY", 0.0)
    near_cache_ttl_s: float = _number("NEAR_CACHE_TTL", 1.0)
    near_cache_size: int = _number("NEAR_CACHE_SIZE", 4096, integer=True)
    coord_grid: float = _grid("COORD_GRID", "0.01")
    cors_allow_origins: tuple[str, ...] = _origins("CORS_ALLOW_ORIGINS")
    log_level: str = _choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
    log_requests: bool = _flag("LOG_REQUESTS", True)
    status_page: bool = _flag("STATUS_PAGE", True)
    admin_token: str = _secret("ADMIN_TOKEN")
    metrics_token: str = _secret("METRICS_TOKEN")
    # Last: each provider's own variables (URLs, keys), declared in its SPEC.
    provider_options: Mapping[str, str] = _provider_options()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        values = {f.name: _reader(f)(source) for f in dataclasses.fields(cls)}
        settings = cls(**values)
        if settings.upstream_retries > 1:
            raise SettingsError("UPSTREAM_RETRIES must be 0 or 1")
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
        """Every time bound of a fetch, from UPSTREAM_TIMEOUT, LOCK_TTL and REDIS_TIMEOUT."""
        return Deadlines(
            request_s=self.upstream_timeout_s,
            calls=tuple(registry.by_name()[name].requests_per_call for name in self.providers),
            redis_s=self.redis_timeout_s,
            lease_s=self.lock_ttl_s,
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
