"""Refreshes: the gateway's stale locations, refreshed in the background, once cluster-wide."""

from __future__ import annotations

import asyncio
import contextlib

from domain.model.admission import Priority, UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import SkycacheError
from domain.model.gateway import GatewayRequest, Point
from domain.use_cases.gateway_fetch import LeasedFetch, count
from ports.clock import Clock
from ports.metrics import Metrics

# Bounds this process's memory of keys being refreshed or backing off.
MAX_TRACKED = 10_000


class Refreshes:
    """Rules:
    - a key already refreshing here, or backing off after a failed refresh, is skipped;
    - the others' leases are tried; the keys won are refreshed in one upstream call,
      those held elsewhere are left to their holder;
    - a failed refresh leaves the stale part served, and the key alone for `backoff_s`."""

    def __init__(
        self, fetch: LeasedFetch, *, clock: Clock, metrics: Metrics, backoff_s: float
    ) -> None:
        self._fetch, self._clock, self._metrics = fetch, clock, metrics
        self._backoff_s = backoff_s
        self._busy: dict[str, float] = {}  # key -> monotonic time it may be tried again
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, query: GatewayRequest, stale: dict[str, Point], refusal_key: str) -> None:
        now = self._clock.monotonic()
        due = {key: point for key, point in stale.items() if self._busy.get(key, 0.0) <= now}
        if not due or (len(self._busy) >= MAX_TRACKED and not self._sweep(now)):
            return
        self._busy |= dict.fromkeys(due, float("inf"))
        task = asyncio.create_task(self._refresh(query, due, refusal_key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _sweep(self, now: float) -> bool:
        """Forget every key whose back-off is over; True if that made room."""
        self._busy = {key: until for key, until in self._busy.items() if until > now}
        return len(self._busy) < MAX_TRACKED

    async def _refresh(
        self, query: GatewayRequest, due: dict[str, Point], refusal_key: str
    ) -> None:
        retry_at = self._clock.monotonic()
        try:
            won, _ = await self._fetch.leases(list(due))
            if won:
                points = {key: due[key] for key in won}
                call = UpstreamCall(Priority.REFRESH)
                await self._fetch.own(query, points, won, call, refusal_key=refusal_key)
        except SkycacheError:
            count(self._metrics, CounterName.GATEWAY_ERRORS, query.api)
            retry_at = self._clock.monotonic() + self._backoff_s
        finally:
            for key in due:
                self._busy[key] = retry_at
            if retry_at <= self._clock.monotonic():
                for key in due:
                    self._busy.pop(key, None)

    async def drain(self) -> None:
        """Let the refreshes under way finish (at shutdown)."""
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)
