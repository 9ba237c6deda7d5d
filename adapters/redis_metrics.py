"""Redis metrics: counted locally, flushed in the background into one hash for all workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter as Tally
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.outcome import Counter
from ports.metrics import Metrics

STATS_KEY = "skycache:v1:stats"
_BY_NAME = {counter.value: counter for counter in Counter}


class RedisMetrics(Metrics):
    """Rules:
    - incr() only touches a local tally; a flusher sends the deltas every `flush_interval_s`;
    - deltas that could not be sent are kept and sent with the next flush (an error after
      Redis applied them may count them twice; they are never dropped);
    - totals() are every worker's flushed counts, or this worker's own when Redis is down.
    """

    def __init__(self, client: Redis, *, flush_interval_s: float = 1.0) -> None:
        self._client = client
        self._interval_s = flush_interval_s
        self._pending: Tally[Counter] = Tally()
        self._known: Tally[Counter] = Tally()  # the last totals read, plus deltas sent since
        self._sending = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def incr(self, counter: Counter, amount: int = 1) -> None:
        self._pending[counter] += amount

    async def flush(self) -> None:
        async with self._sending:
            await self._send()

    async def totals(self) -> Mapping[Counter, int]:
        # Under the same lock as flushes: no deltas are in flight, so none are missed.
        async with self._sending:
            await self._send()
            try:
                raw = await self._client.hgetall(STATS_KEY)
            except (RedisError, OSError):
                return dict(self._known + self._pending)
            self._known = _parse(raw)
            return dict(self._known + self._pending)

    async def _send(self) -> None:
        deltas, self._pending = self._pending, Tally()
        if not deltas:
            return
        sent = False
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for counter, amount in deltas.items():
                    pipe.hincrby(STATS_KEY, counter.value, amount)
                await pipe.execute()
            sent = True
        except (RedisError, OSError):
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


def _parse(raw: Mapping[bytes, bytes]) -> Tally[Counter]:
    """Fields this version does not know (or cannot read) are left out, not fatal."""
    counts: Tally[Counter] = Tally()
    for name, value in raw.items():
        counter = _BY_NAME.get(name.decode(errors="replace"))
        if counter is None:
            continue
        with contextlib.suppress(ValueError):
            counts[counter] = int(value)
    return counts
