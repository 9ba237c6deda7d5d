"""The cities asked for most over the last few minutes, counted in bounded memory."""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from domain.model.query import DEFAULT_GRID, WeatherQuery, display_name
from entrypoints.http.weather.params import params_of
from ports.clock import Clock

log = logging.getLogger("skycache.http")


class CityCounts:
    """Requests per /weather query string, in one bucket a minute, the last few kept.

    Each bucket holds at most `max_keys` query strings, whatever clients send: when it is
    full, the strings seen once so far are dropped (their requests move to `others`), so a
    flood of one-off names cannot crowd out the cities asked for again and again; if that
    frees little, new strings go to `others` until the next bucket. Raw
    query strings are counted (a dict increment on the hot path); they are parsed into
    cities only when the top is read."""

    def __init__(
        self,
        *,
        window_s: float = 300.0,
        bucket_s: float = 60.0,
        max_keys: int = 512,
        clock: Clock,
    ) -> None:
        self.window_s = window_s
        self._bucket_s = bucket_s
        self._max_keys = max_keys
        # The bound method, looked up once: add() runs on every /weather request.
        self._clock = clock.monotonic
        self._buckets: deque[tuple[float, dict[bytes, int]]] = deque()
        self._current: dict[bytes, int] = {}
        self._ends_at = float("-inf")
        self._open = True  # whether a full bucket may still make room for new strings
        self.others = 0

    def add(self, query: bytes) -> None:
        now = self._clock()
        if now >= self._ends_at:
            self._rotate(now)
        counts = self._current
        seen = counts.get(query)
        if seen is not None:
            counts[query] = seen + 1
        elif len(counts) < self._max_keys or (self._open and self._prune(counts)):
            counts[query] = 1
        else:
            self.others += 1

    def by_city(self) -> dict[str, tuple[str, int]]:
        """City key -> (its first spelling, requests) over the window, spellings merged."""
        self._drop_old(self._clock())
        found: dict[str, tuple[str, int]] = {}
        for _, counts in self._buckets:
            for query, count in counts.items():
                parsed = _parse(query)
                if parsed is not None:
                    name, before = found.get(parsed.key, (display_name(parsed), 0))
                    found[parsed.key] = (name, before + count)
        return found

    def _rotate(self, now: float) -> None:
        self._current = {}
        self._open = True
        self._ends_at = now + self._bucket_s
        self._buckets.append((self._ends_at, self._current))
        self._drop_old(now)

    def _drop_old(self, now: float) -> None:
        while self._buckets and self._buckets[0][0] <= now - self.window_s:
            self._buckets.popleft()

    def _prune(self, counts: dict[bytes, int]) -> bool:
        once = [query for query, count in counts.items() if count == 1]
        for query in once:
            del counts[query]
        self.others += len(once)
        # A pass that frees less than a quarter closes the bucket to new strings until the
        # next one: each O(max_keys) pass is paid for by max_keys/4 new strings at least.
        self._open = len(counts) <= self._max_keys * 3 // 4
        return len(counts) < self._max_keys


def _parse(query: bytes) -> WeatherQuery | None:
    """The place a plain /weather query names (a city, or a point in the default grid's
    cell), whatever its units; None for anything else."""
    found = params_of(query, DEFAULT_GRID)
    return None if found is None else found.query


def most(by_city: dict[str, tuple[str, int]], n: int) -> list[tuple[str, int]]:
    return sorted(by_city.values(), key=lambda named: (-named[1], named[0]))[:n]


class TopCities:
    """This worker's CityCounts, and what the other workers of the instance counted.

    Every worker writes its counts to `directory` (the Prometheus multiprocess directory
    every worker shares) with share(), which the container runs every `every_s` (and once
    more at shutdown), so /status, answered by whichever worker, lists the instance's top.
    A file not rewritten for a few periods is a worker gone or idle, and is left out.
    Without a directory: this worker's alone."""

    def __init__(
        self,
        counts: CityCounts,
        *,
        directory: Path | None = None,
        every_s: float = 2.0,
    ) -> None:
        self.counts = counts
        self.window_s = self.counts.window_s
        self._directory = directory
        self._every_s = every_s
        self.add: Callable[[bytes], None] = self.counts.add

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        merged = self.counts.by_city()
        for key, (name, count) in self._others():
            before = merged.get(key, (name, 0))
            merged[key] = (before[0], before[1] + count)
        return most(merged, n)

    def share(self) -> bool:
        """Shares this worker's counts; False once there are none (or it cannot)."""
        counts = self.counts.by_city()
        assert self._directory is not None
        mine = self._directory / f"{_PREFIX}{os.getpid()}.json"
        try:
            if not counts:
                mine.unlink(missing_ok=True)
                return False
            written = mine.with_suffix(".tmp")
            written.write_text(json.dumps(counts))
            os.replace(written, mine)  # readers see the old file or the new, never half
        except OSError:
            log.warning("could not share this worker's top cities in %s", self._directory)
            return False
        return True

    def _others(self) -> list[tuple[str, tuple[str, int]]]:
        if self._directory is None:
            return []
        found: list[tuple[str, tuple[str, int]]] = []
        # The kernel's clock on purpose, not the Clock port: it is compared with the files'
        # modification times, which the kernel stamps.
        oldest = time.time() - 3 * self._every_s
        for path in self._directory.glob(f"{_PREFIX}*.json"):
            if path.name == f"{_PREFIX}{os.getpid()}.json":
                continue
            try:
                if path.stat().st_mtime < oldest:
                    continue
                shared = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # gone meanwhile, or being replaced
            found += [(key, (str(name), int(count))) for key, (name, count) in shared.items()]
        return found


_PREFIX = "top-cities-"
