"""Memory snapshots of a soaked worker, for `python -m bench.soak --trace-memory DIR` only.

This directory is put on PYTHONPATH by that option alone, so Python imports this module
at start-up in every process of the service under soak (never in a deployment). When
SOAK_TRACEMALLOC_DIR is set it starts tracemalloc and writes a snapshot at each of
SOAK_TRACEMALLOC_AT (seconds after the process started) to DIR/<pid>-<seconds>.snap, and
beside it how many items each per-worker cache held then (<pid>-<seconds>.json).
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
import threading
import time
import tracemalloc

# The per-worker caches, by class name: each has a len().
CACHES = {"_ExpiringLru", "DecodedEntries", "RenderedHits", "NearCache", "_TimedParts"}


def _reachable() -> list[object]:
    """Every object reachable from the modules: the service freezes its start-up objects
    (gc.freeze), which hides them from gc.get_objects()."""
    seen: set[int] = set()
    stack: list[object] = [*sys.modules.values(), *sys._current_frames().values()]
    tasks = getattr(sys.modules.get("asyncio.tasks"), "_all_tasks", ())
    stack += [*list(tasks), *gc.get_objects()]
    found = []
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        stack.extend(gc.get_referents(obj))
    return found


def _holdings() -> dict[str, list[int]]:
    held: dict[str, list[int]] = {}
    for obj in _reachable():
        name = type(obj).__name__
        if name in CACHES:
            held.setdefault(name, []).append(len(obj))  # type: ignore[arg-type]
        elif isinstance(obj, functools._lru_cache_wrapper):
            qualname = getattr(obj, "__qualname__", "?")
            held.setdefault(f"lru_cache {qualname}", []).append(obj.cache_info().currsize)
    etag = sys.modules.get("entrypoints.http.weather.etag")
    if etag is not None:
        held["etag tags"] = [etag.tags_held()]
    return held


def _snapshots(directory: str, at: list[float]) -> None:
    started = time.monotonic()
    for seconds in at:
        time.sleep(max(started + seconds - time.monotonic(), 0.0))
        path = os.path.join(directory, f"{os.getpid()}-{int(seconds)}.snap")
        tracemalloc.take_snapshot().dump(path)
        with open(path.removesuffix(".snap") + ".json", "w") as out:
            json.dump(_holdings(), out)


def _start() -> None:
    directory = os.environ.get("SOAK_TRACEMALLOC_DIR")
    # uvicorn's workers only: walking every object holds the GIL for seconds, which would
    # slow a server's start-up (the master's, or another instance's while it starts).
    if not directory or "--multiprocessing-fork" not in sys.argv:
        return
    at = [float(s) for s in os.environ.get("SOAK_TRACEMALLOC_AT", "150,300,450").split(",")]
    tracemalloc.start(4)
    threading.Thread(target=_snapshots, args=(directory, at), daemon=True).start()


_start()
