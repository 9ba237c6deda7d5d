"""What `skycache serve` settles before uvicorn starts any worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from entrypoints.backends import open_backend
from entrypoints.settings import Settings

# Read by prometheus_client when first imported; so this module must not import it (nor
# adapters.prometheus_instruments), or a single-worker run would miss multiprocess mode.
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
        yield path
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


def _remove_then_die(path: Path) -> Callable[[int, FrameType | None], None]:
    # A single-worker uvicorn re-raises SIGTERM after its graceful shutdown, to die of it:
    # no `finally` runs then, so the directory goes here, and the exit status stays SIGTERM.
    def handler(signum: int, _: FrameType | None) -> None:
        shutil.rmtree(path, ignore_errors=True)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    return handler


def check_backend(settings: Settings) -> None:
    """With SKYCACHE_CACHE=redis, fail here, once, with the backend's one-line StartupError,
    rather than in every worker's lifespan with a traceback."""
    if settings.cache_backend == "redis":
        asyncio.run(_open_and_close(settings))


async def _open_and_close(settings: Settings) -> None:
    async with contextlib.asynccontextmanager(open_backend)(settings, refuse_without_redis=True):
        pass
