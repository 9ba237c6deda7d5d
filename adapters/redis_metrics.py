"""Redis metrics: counted locally, flushed in the background into one hash for all workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter as Tally
from collections.abc import Mapping

from redis.asyncio import Redis

from adapters.redis_breaker import RedisBreaker
from adapters.redis_client import unavailable_on_error
from domain.errors import CacheUnavailable
from domain.outcome import Counter
from ports.metrics import Metrics

STATS_KEY = "skycache:v1:stats"


class RedisMetrics(Metrics):
    """Rules:
    - incr() only touches a local tally; a flusher sends the deltas every `flush_interval_s`;
    - deltas that could not be sent are kept and sent with the next flush (an error after
      Redis applied them may count them twice; they are never dropped);
    - totals() are every worker's flushed counts, or this worker's own when Redis is down;
    - a labelled count is the hash field "<counter>:<label>" (api_calls:open-meteo), beside
      the plain "<counter>" field, which it leaves alone.
    """

    def __init__(
        self,
        client: Redis,
        *,
        flush_interval_s: float = 1.0,
        breaker: RedisBreaker | None = None,
    ) -> None:
        self._client = client
        # Behind the breaker shared with the cache and lock, flushes skip a Redis known down.
        self._guard = breaker.call if breaker is not None else unavailable_on_error
        self._interval_s = flush_interval_s
        # Keyed by hash field: plain counters and labelled ones travel the same way.
        self._pending: Tally[str] = Tally()
        self._known: Tally[str] = Tally()  # the last totals read, plus deltas sent since
        self._sending = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def incr(self, counter: Counter, amount: int = 1) -> None:
        self._pending[counter] += amount  # a StrEnum: the same key as its field name

    def incr_labelled(self, counter: Counter, label: str, amount: int = 1) -> None:
        self._pending[f"{counter.value}:{label}"] += amount

    async def flush(self) -> None:
        async with self._sending:
            await self._send()

    async def totals(self) -> Mapping[Counter, int]:
        fields = await self._fields()
        return {c: fields[c.value] for c in Counter if c.value in fields}

    async def labelled_totals(self, counter: Counter) -> Mapping[str, int]:
        prefix = f"{counter.value}:"
        fields = await self._fields()
        return {f.removeprefix(prefix): n for f, n in fields.items() if f.startswith(prefix)}

    async def _fields(self) -> Tally[str]:
        # Under the same lock as flushes: no deltas are in flight, so none are missed.
        async with self._sending:
            await self._send()
            try:
                with self._guard("HGETALL"):
                    raw = await self._client.hgetall(STATS_KEY)
            except CacheUnavailable:
                return self._known + self._pending
            self._known = _parse(raw)
            return self._known + self._pending

    async def _send(self) -> None:
        deltas, self._pending = self._pending, Tally()
        if not deltas:
            return
        sent = False
        try:
            with self._guard("stats flush"):
                async with self._client.pipeline(transaction=False) as pipe:
                    for name, amount in deltas.items():
                        pipe.hincrby(STATS_KEY, name, amount)
                    await pipe.execute()
            sent = True
        except CacheUnavailable:
            pass
        finally:
            # Also on cancellation (stop() during a flush): the deltas go back, not away.
            (self._known if sent else self._pending).update(deltas)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._flush_forever())

    async def stop(self) -> None:
        """Stop the flusher, then send what is left (best effort)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.flush()


def _parse(raw: Mapping[bytes, bytes]) -> Tally[str]:
    """Fields this version cannot read are left out, not fatal; totals() ignores the ones
    it does not know."""
    counts: Tally[str] = Tally()
    for name, value in raw.items():
        with contextlib.suppress(ValueError):
            counts[name.decode(errors="replace")] = int(value)
    return counts
