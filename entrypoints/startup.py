"""What `skycache serve` settles before uvicorn starts any worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from adapters.observability.redaction import redact
from entrypoints.settings import Settings, StartupError
from entrypoints.wiring.storage import redis_failure, unanswered, where_redis_is

log = logging.getLogger("skycache")

# Read by prometheus_client when first imported; so this module must not import it (nor
# adapters.observability.prometheus_instruments), or a single-worker run would miss
# multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def metrics_dir() -> Iterator[Path]:
    """Point every worker at one directory for Prometheus values, cleared for this run.

    Without PROMETHEUS_MULTIPROC_DIR a fresh temporary directory is made and removed at
    exit. A given one is kept, but emptied of old values first: counters left by a
    previous run would otherwise be summed into this one's.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        # Kept, so nothing to remove on the way out; still a clean stop's exit status 0.
        previous = signal.signal(signal.SIGTERM, _remove_then_die(None))
        try:
            yield path
        finally:
            signal.signal(signal.SIGTERM, previous)
        return
    path = Path(tempfile.mkdtemp(prefix="skycache-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    previous = signal.signal(signal.SIGTERM, _remove_then_die(path))
    try:
        yield path
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


RUN_DIR_ENV = "SKYCACHE_RUN_DIR"
RUN_DIR_PARTS = ("locks", "copies")  # the subdirectories entrypoints/wiring/storage.py uses


def check_run_dir(settings: Settings) -> None:
    """A one-line StartupError when SKYCACHE_RUN_DIR is set but cannot be made or written."""
    if not settings.run_dir:
        return
    path = Path(settings.run_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise StartupError(f"cannot use SKYCACHE_RUN_DIR={settings.run_dir}: {reason}") from None


@contextlib.contextmanager
def run_dir() -> Iterator[Path]:
    """A directory for what the workers of this run share on the host while Redis is
    unreachable: the lock files and copies that stand in for it (adapters/host/).

    Without SKYCACHE_RUN_DIR a fresh temporary directory is made and removed at exit (a
    SIGTERM ends in SystemExit, which passes through here). A given one is kept, but its
    lock files and copies are removed first: a lease left by a previous run (or boot,
    whose monotonic clock its expiry was on) must not hold a key now."""
    given = os.environ.get(RUN_DIR_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for left_over in RUN_DIR_PARTS:
            shutil.rmtree(path / left_over, ignore_errors=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="skycache-run-"))
    os.environ[RUN_DIR_ENV] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(RUN_DIR_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def _remove_then_die(path: Path | None) -> Callable[[int, FrameType | None], None]:
    # A single-worker uvicorn re-raises SIGTERM after its graceful shutdown, to die of it
    # (status 143), where a multi-worker one returns (status 0). A stop that drained cleanly
    # is a success either way, so this exits 0, removing the directory on the way out; a
    # SIGTERM before uvicorn took over its handling lands here too, with nothing to drain.
    def handler(signum: int, _: FrameType | None) -> None:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
        raise SystemExit(0)

    return handler


def check_backend(settings: Settings) -> str:
    """The cache the workers will find: "redis" or "memory".

    With SKYCACHE_CACHE=redis, fail here, once, with a one-line StartupError, rather than
    in every worker's lifespan with a traceback."""
    if settings.cache_backend == "memory":
        return "memory"
    failure = asyncio.run(redis_failure(settings))
    if failure is None:
        return "redis"
    if settings.cache_backend == "redis":
        raise StartupError(f"{unanswered(settings)} ({failure})")
    return "memory"


def worker_count(requested: int, cache: str, settings: Settings) -> int:
    """One worker when the cache is per process: several would each keep their own cache,
    counters and provider health, and /stats and /healthz would change with the worker
    that happens to answer."""
    if cache == "redis" or requested == 1:
        return requested
    why = (
        "SKYCACHE_CACHE=memory"
        if settings.cache_backend == "memory"
        else f"Redis at {where_redis_is(settings)} does not answer"
    )
    log.warning(
        "serving with 1 worker, not %d: the cache is in memory, per process (%s); more "
        "workers would each keep their own cache and counters, and /stats and /healthz "
        "would change with the worker that answers",
        requested,
        why,
    )
    return 1


def check_port_free(host: str, port: int) -> None:
    """A one-line StartupError naming host:port when it cannot be bound, before uvicorn
    tries (with several workers, uvicorn's own failure does not name it)."""
    # As uvicorn binds: the family from the host's spelling, and SO_REUSEADDR, so that a
    # port in TIME_WAIT from a previous run counts as free.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            reason = e.strerror or str(e)
            raise StartupError(f"cannot listen on {host}:{port}: {reason}") from None


def effective_configuration(settings: Settings, cache: str, workers: int) -> dict[str, Any]:
    """What the start-up log line reports: the settings that shape the service's answers."""
    return {
        "providers": list(settings.providers),
        "cache": cache,
        "cache_setting": settings.cache_backend,
        "redis_url": redact(settings.redis_url),
        "workers": workers,
        "weather_ttl_s": settings.weather_ttl_s,
        "stale_ttl_s": settings.stale_ttl_s,
        "negative_ttl_s": settings.negative_ttl_s,
        "near_cache_ttl_s": settings.near_cache_ttl_s,
        "near_cache_size": settings.near_cache_size,
        "rate_limit": settings.rate_limit or None,
        "upstream_timeout_s": settings.upstream_timeout_s,
        "log_level": settings.log_level,
    }
