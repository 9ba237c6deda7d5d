"""The Open-Meteo gateway's parts: its store, its upstream, and the use case over them."""

from __future__ import annotations

import random
from dataclasses import replace

import httpx

from adapters.memory.gateway_store import MemoryPartStore
from adapters.providers.open_meteo_gateway import OpenMeteoGateway
from adapters.providers.open_meteo_runs import OpenMeteoModelRuns
from adapters.redis.breaker import RedisBreaker
from adapters.redis.gateway_store import RedisPartStore
from adapters.redis.topology import RedisClient
from adapters.resilience.protected_gateway import ProtectedGateway
from adapters.resilience.protection import Protection
from domain.model.gateway import Api
from domain.model.gateway_part import GatewayPolicy
from domain.model.model_runs import RunFreshness
from domain.use_cases.gateway import ServeGateway
from domain.use_cases.gateway_fetch import LeasedFetch
from domain.use_cases.gateway_refresh import Refreshes
from domain.use_cases.gateway_runs import FollowRuns
from domain.use_cases.stampede import StampedeGuard
from entrypoints.settings import Settings
from entrypoints.wiring.upstream import http_limits, protection_config
from ports.budget import MissBudget, UpstreamBudget
from ports.clock import Clock
from ports.gateway_store import PartStore
from ports.lock import Lock
from ports.metrics import Metrics


def part_store(
    settings: Settings,
    redis: RedisClient | None,
    breaker: RedisBreaker,
    metrics: Metrics,
    clock: Clock,
) -> PartStore:
    if redis is None:
        return MemoryPartStore(clock=clock, last_good_items=settings.local_copy_size)
    return RedisPartStore(
        redis, metrics=metrics, breaker=breaker, last_good_items=settings.local_copy_size
    )


def policy(settings: Settings) -> GatewayPolicy:
    return GatewayPolicy(
        forecast_ttl_s=settings.forecast_ttl_s,
        archive_ttl_s=settings.archive_ttl_s,
        stale_ttl_s=max(settings.stale_ttl_s, settings.archive_ttl_s),
        jitter_max_s=settings.jitter_max_s,
        refusal_ttl_s=settings.unusable_ttl_s,
        refresh_backoff_s=settings.refresh_backoff_s,
    )


def _urls(settings: Settings) -> dict[Api, str]:
    options = settings.provider_options
    return {
        Api.FORECAST: options["OPEN_METEO_FORECAST_URL"],
        Api.AIR_QUALITY: options["OPEN_METEO_AIR_QUALITY_URL"],
        Api.ARCHIVE: options["OPEN_METEO_ARCHIVE_URL"],
    }


def upstream(settings: Settings, http: httpx.AsyncClient) -> OpenMeteoGateway:
    api_key = settings.provider_options["OPEN_METEO_API_KEY"]
    return OpenMeteoGateway(http, _urls(settings), http_limits(settings), api_key=api_key)


def protection(settings: Settings, clock: Clock, budget: UpstreamBudget | None) -> Protection:
    """The gateway's own cap, retry, breaker and 429 window, on the settings /weather's
    provider uses; its time bounds for one HTTP request a call (docs/TIMING.md)."""
    deadlines = settings.deadlines
    config = replace(
        protection_config(settings, OpenMeteoGateway.name),
        call_timeout_s=deadlines.attempt_s(1),
        queue_timeout_s=deadlines.queue_s(1),
        deadline_s=deadlines.provider_s(1),
    )
    return Protection(OpenMeteoGateway.name, config, clock=clock, budget=budget)


def follow_runs(
    settings: Settings, http: httpx.AsyncClient, clock: Clock, store: PartStore
) -> FollowRuns | None:
    """FORECAST_FRESHNESS=model-runs: parts fresh until their model's next run (+ margin)."""
    if settings.forecast_freshness != "model-runs":
        return None
    urls = {api.value: url for api, url in _urls(settings).items()}
    runs = OpenMeteoModelRuns(
        http, urls, http_limits(settings), clock, refresh_s=settings.model_run_refresh_s
    )
    rules = RunFreshness(
        margin_s=settings.model_run_margin_s, fallback_ttl_s=settings.forecast_ttl_s
    )
    return FollowRuns(runs, rules, shared=store, share_s=settings.model_run_refresh_s)


def serve_gateway(
    settings: Settings,
    store: PartStore,
    lock: Lock,
    http: httpx.AsyncClient,
    metrics: Metrics,
    clock: Clock,
    misses: MissBudget | None,
    protected: Protection,
) -> ServeGateway:
    """`protected`: the gateway's own cap, retry, breaker and 429 window (protection())."""
    rules = policy(settings)
    gateway = upstream(settings, http)
    runs = follow_runs(settings, http, clock, store)
    fetch = LeasedFetch(
        store=store,
        lock=lock,
        guard=StampedeGuard(
            lock,
            clock=clock,
            lock_ttl_s=settings.lock_ttl_s,
            wait_timeout_s=settings.wait_timeout_s,
        ),
        upstream=ProtectedGateway(gateway, protected),
        policy=rules,
        clock=clock,
        metrics=metrics,
        uniform=random.random,
        lock_ttl_s=settings.lock_ttl_s,
        fresh_until=runs.fresh_until if runs is not None else None,
    )
    return ServeGateway(
        store=store,
        fetch=fetch,
        refreshes=Refreshes(fetch, clock=clock, metrics=metrics, backoff_s=rules.refresh_backoff_s),
        joiner=gateway,
        metrics=metrics,
        clock=clock,
        misses=misses,
    )
