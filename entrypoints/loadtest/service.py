"""The service a load test drives when no --host is given: a simulated `skycache serve`."""

from __future__ import annotations

import os
import socket
import ssl
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from adapters.observability.redaction import redact
from entrypoints.launcher import Launcher, LaunchError, free_port, serve_command
from entrypoints.settings import Settings


@contextmanager
def local_service(
    settings: Settings, *, workers: int, redis_db: int, log_path: Path
) -> Iterator[str]:
    """Yields its URL; Redis (database `redis_db`) when REDIS_URL answers, else in-memory."""
    redis_url = urlparse(settings.redis_url)._replace(path=f"/{redis_db}").geturl()
    use_redis = settings.cache_backend != "memory" and redis_answers(redis_url)
    if settings.cache_backend == "redis" and not use_redis:
        raise RuntimeError(f"SKYCACHE_CACHE=redis but no Redis answered at {redact(redis_url)}")
    # An in-memory cache is per process: a second worker would fetch every city again.
    cache, count = ("redis", workers) if use_redis else ("memory", 1)
    # WEATHER_PROVIDER is forced: a load test must never reach the real Open-Meteo.
    env = {**os.environ, "WEATHER_PROVIDER": "simulated", "SKYCACHE_CACHE": cache}
    # service.log gets the start-up lines and every warning; a line per request would
    # cost the service more than the load it measures.
    env.update(REDIS_URL=redis_url, LOG_LEVEL=os.environ.get("LOG_LEVEL", "info"))
    env.setdefault("LOG_REQUESTS", "false")
    service = _start(env, count, log_path)
    if use_redis:
        backend = f"Redis {redact(redis_url)}"
    elif settings.cache_backend == "memory":
        backend = "an in-memory cache (SKYCACHE_CACHE=memory)"
    else:
        backend = f"an in-memory cache (no Redis answered at {redact(redis_url)})"
    started = f"started {service.url}: simulated provider, {backend}, {count} worker(s)"
    print(f"skycache loadtest: {started}")
    try:
        yield service.url
    finally:
        if service.returncode is not None:
            print(
                f"skycache loadtest: the local service exited during the run "
                f"(code {service.returncode}); see {log_path}",
                file=sys.stderr,
            )
        # SIGTERM to the process group (uvicorn drains for up to 10 s), then SIGKILL.
        service.stop()


def redis_answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether a Redis at `url` answers PING (after AUTH when the URL has a password)."""
    parsed = urlparse(url)
    command = b"PING\r\n"
    if parsed.password:
        words = [w for w in (parsed.username, parsed.password) if w]
        command = _resp("AUTH", *words) + command
    try:
        address = (parsed.hostname or "localhost", parsed.port or 6379)
        with socket.create_connection(address, timeout=timeout_s) as raw:
            sock = raw
            if parsed.scheme == "rediss":
                sock = ssl.create_default_context().wrap_socket(raw, server_hostname=address[0])
            sock.sendall(command)
            replies = b""
            while b"+PONG" not in replies and not replies.startswith(b"-"):
                chunk = sock.recv(256)
                if not chunk:
                    break
                replies += chunk
            return b"+PONG" in replies
    except OSError:
        return False


def _resp(*words: str) -> bytes:
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = unquote(word).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _start(env: Mapping[str, str], workers: int, log_path: Path) -> Launcher:
    # A second try: on a saturated machine a first start can miss Redis's 0.25 s timeout.
    # Both tries write to the same service.log, the second after the first.
    for attempt in range(2):
        port = free_port()
        service = Launcher(
            serve_command(port, workers=workers),
            url=f"http://127.0.0.1:{port}",
            env=env,
            log=log_path,
            append_log=attempt > 0,
            name="the local service",
        )
        try:
            return service.start(timeout_s=30.0)
        except LaunchError:
            continue
    raise RuntimeError(f"the local service did not start; see {log_path}")
