"""One measurement: start a server, warm it, drive it, and read what Redis and RSS say."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from redis import Redis

from bench import load
from bench.redis_probe import commands_processed
from bench.servers import Server, new_port, skycache_command, uvicorn_command
from tests.support.fake_open_meteo.cities import CITIES

WARM_CITIES = tuple(name for name, *_ in CITIES[:50])
# A server starts once per row and round (30 times a run): on a loaded 2-core machine one
# start in many outlasted the launcher's 30 s, which ended the whole run.
START_TIMEOUT_S = 90.0


def weather_path(city: str) -> str:
    return "/weather?city=" + quote(city)


@dataclass(frozen=True, slots=True)
class Options:
    seconds: float
    warm_s: float
    connections: int
    wrk: bool


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    result: load.LoadResult
    commands_per_request: float
    redis_bytes: float | None
    rss_mb: float
    cpu_us: float  # worker CPU time per request
    load1: float = 0.0  # the machine's 1-minute load average as the run ended


class Bench:
    """The shared Redis and upstream, and the environment every Skycache server gets."""

    def __init__(self, redis_url: str, upstream_url: str, options: Options) -> None:
        self.redis_url = redis_url
        self.redis = Redis.from_url(redis_url)
        self.options = options
        self.skycache_env = {
            "REDIS_URL": redis_url,
            "SKYCACHE_CACHE": "redis",
            "WEATHER_PROVIDER": "open-meteo",
            "OPEN_METEO_GEOCODING_URL": upstream_url,
            "OPEN_METEO_FORECAST_URL": upstream_url,
            # Longer than the whole run: no entry turns stale (and uncacheable) mid-bench.
            "WEATHER_TTL": "3600",
            "WEATHER_TTL_JITTER": "0",
            # A busy 2-core box can stall Redis replies past the 0.25 s default; a timeout
            # would turn a hit into a miss and measure the upstream instead.
            "REDIS_TIMEOUT": "2",
            # The fake upstream has no quota: the cache is measured here, not the budget.
            "UPSTREAM_MISSES_PER_CLIENT": "0",
            "UPSTREAM_MAX_PER_MINUTE": "0",
            "UPSTREAM_MAX_PER_HOUR": "0",
            "UPSTREAM_MAX_PER_DAY": "0",
        }

    def skycache(
        self,
        *,
        workers: int = 2,
        near_ttl: float = 1.0,
        access_log: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> Server:
        """Without the access log unless asked: a JSON line per request is a cost of its own,
        measured in a row of its own."""
        port = new_port()
        env = {**self.skycache_env, "NEAR_CACHE_TTL": str(near_ttl), **(env or {})}
        if access_log:
            env |= {"LOG_LEVEL": "info", "LOG_REQUESTS": "true"}
        else:
            env |= {"LOG_LEVEL": "warning", "LOG_REQUESTS": "false"}
        return Server("skycache", skycache_command(workers, port), env, port)

    def baseline(self, module: str, *, workers: int = 2) -> Server:
        port = new_port()
        command = uvicorn_command(f"bench.{module}:app", workers, port)
        return Server(module, command, {"REDIS_URL": self.redis_url}, port)

    def drive(self, url: str, paths: Sequence[str], seconds: float) -> load.LoadResult:
        o = self.options
        if o.wrk:
            return load.run_wrk(url, paths, seconds=seconds, connections=o.connections)
        return load.run_python(url, paths, seconds=seconds, connections=o.connections)

    def measure(
        self, label: str, server: Server, paths: Sequence[str], redis_bytes: float | None = None
    ) -> Row:
        server.start(timeout_s=START_TIMEOUT_S)  # not `with`: entering would start it again
        try:
            if self.options.warm_s > 0:
                self.drive(server.url, paths, self.options.warm_s)
            before, cpu = commands_processed(self.redis), server.worker_cpu_s()
            result = self.drive(server.url, paths, self.options.seconds)
            commands = commands_processed(self.redis) - before - 1  # our own INFO
            cpu = server.worker_cpu_s() - cpu
            rss = server.worker_rss_mb()
        finally:
            server.stop()
        n = max(result.requests, 1)
        load1 = os.getloadavg()[0]
        return Row(label, result, commands / n, redis_bytes, _mean(rss), cpu / n * 1e6, load1)

    def prime(self, cities: Sequence[str], store_old: Callable[[str, bytes], object]) -> None:
        """Fetch each city once through Skycache (a miss upstream), and hand its JSON body
        to `store_old`, so the old design serves the very same bytes."""
        with self.skycache(workers=1, near_ttl=0) as server, httpx.Client() as client:
            for city in cities:
                response = client.get(server.url + weather_path(city), timeout=10)
                response.raise_for_status()
                store_old(city, response.content)

    def rss_growth(self, cities: Sequence[str], steps: Sequence[int]) -> list[tuple[int, float]]:
        """Mean worker RSS (MB) once the first n of `cities` have been served, per step."""
        points = []
        with self.skycache() as server:
            served = 0
            points.append((0, _mean(server.worker_rss_mb())))
            for n in steps:
                paths = [weather_path(city) for city in cities[served:n]]
                result = load.run_python(server.url, paths, total=len(paths), connections=32)
                if result.errors:
                    raise RuntimeError(f"{result.errors} errors while serving {len(paths)} cities")
                served = n
                points.append((n, _mean(server.worker_rss_mb())))
        return points


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def combine(rows: Sequence[Row]) -> Row:
    """Several runs of one server as one row: rates pooled, latencies their median."""
    if len(rows) == 1:
        return rows[0]
    results = [row.result for row in rows]
    pooled = load.LoadResult(
        requests=sum(r.requests for r in results),
        duration_s=sum(r.duration_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        tool=results[0].tool,
    )
    first = rows[0]
    return Row(
        f"{first.label} ({len(rows)} runs)",
        pooled,
        _mean([row.commands_per_request for row in rows]),
        first.redis_bytes,
        _mean([row.rss_mb for row in rows]),
        _mean([row.cpu_us for row in rows]),
        _mean([row.load1 for row in rows]),
    )
