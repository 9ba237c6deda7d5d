"""Redis metrics: counted locally, flushed on a timer into one hash for all workers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Mapping

from adapters.redis.breaker import RedisBreaker, guard_of
from adapters.redis.keys import APPLIED_PREFIX, STATS_KEY
from adapters.redis.topology import RedisClient
from domain.model.counters import CounterName
from domain.model.errors import CacheUnavailable
from ports.metrics import Metrics

# Per worker, APPLIED_PREFIX + its id holds the number of the last batch of deltas
# applied, so that a retry is applied once.
# A batch whose reply was lost is retried at the next flush; this only has to outlive an
# outage of Redis, and the key of a worker that is gone disappears after it.
APPLIED_TTL_MS = 86_400_000

# KEYS[1]: the stats hash; KEYS[2]: this worker's last applied batch number.
# ARGV[1]: this batch's number; ARGV[2]: KEYS[2]'s TTL; then field, delta pairs.
_APPLY_ONCE = """
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if last >= tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
"""


class RedisMetrics(Metrics):
    """Rules:
    - incr() only touches a local tally; flush() sends the deltas (adapters/flushes.py runs
      it on a timer, and once more at shutdown);
    - deltas that could not be sent are kept and sent again with the next flush, as the
      same numbered batch: one whose reply was lost after Redis applied it (a timeout) is
      not applied twice. Counts are never dropped, nor counted twice (unless Redis lost
      this worker's batch number meanwhile: a restart without persistence, which lost the
      counts too, or a day-long outage);
    - totals() are every worker's flushed counts, or this worker's own when Redis is down;
    - a labelled count is the hash field "<counter>:<label>" (api_calls:open-meteo), beside
      the plain "<counter>" field, which it leaves alone.
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        breaker: RedisBreaker | None = None,
    ) -> None:
        self._client = client
        # Behind the breaker shared with the cache and lock, flushes skip a Redis known down.
        self._guard = guard_of(breaker)
        # Keyed by hash field: plain counters and labelled ones travel the same way.
        self._pending: Counter[str] = Counter()
        # The batch sent last without an answer: (its number, its deltas), sent again as is.
        self._unsent: tuple[int, Counter[str]] | None = None
        self._batches = 0
        self._applied_key = APPLIED_PREFIX + uuid.uuid4().hex
        self._apply_once = client.register_script(_APPLY_ONCE)
        self._known: Counter[str] = Counter()  # the last totals read, plus deltas sent since
        self._sending = asyncio.Lock()

    def incr(self, counter: CounterName, amount: int = 1) -> None:
        self._pending[counter] += amount  # a StrEnum: the same key as its field name

    def incr_labelled(self, counter: CounterName, label: str, amount: int = 1) -> None:
        self._pending[f"{counter.value}:{label}"] += amount

    async def flush(self) -> None:
        async with self._sending:
            await self._send()

    async def totals(self) -> Mapping[CounterName, int]:
        fields = await self._fields()
        return {c: fields[c.value] for c in CounterName if c.value in fields}

    async def labelled_totals(self, counter: CounterName) -> Mapping[str, int]:
        prefix = f"{counter.value}:"
        fields = await self._fields()
        return {f.removeprefix(prefix): n for f, n in fields.items() if f.startswith(prefix)}

    async def _fields(self) -> Counter[str]:
        # Under the same lock as flushes: no deltas are in flight, so none are missed.
        async with self._sending:
            await self._send()
            try:
                with self._guard("HGETALL"):
                    raw = await self._client.hgetall(STATS_KEY)
            except CacheUnavailable:
                return self._known + self._not_sent()
            self._known = _parse(raw)
            return self._known + self._not_sent()

    def _not_sent(self) -> Counter[str]:
        return self._pending + (self._unsent[1] if self._unsent else Counter())

    async def _send(self) -> None:
        """The unanswered batch first, then what was counted until now, as the next batch.
        Never more: counts made meanwhile wait for the next flush, so that a busy worker
        does not flush in a loop."""
        if self._unsent is not None and not await self._apply(*self._unsent):
            return
        if self._pending:
            self._batches += 1
            self._unsent, self._pending = (self._batches, self._pending), Counter()
            await self._apply(*self._unsent)

    async def _apply(self, number: int, deltas: Counter[str]) -> bool:
        """False if it could not be sent: it stays in _unsent, for the next flush. So it
        does when cancelled (shutdown during a flush), for the last flush at shutdown."""
        args: list[str | int] = [number, APPLIED_TTL_MS]
        for name, amount in deltas.items():
            args += [name, amount]
        try:
            with self._guard("stats flush"):
                await self._apply_once(keys=[STATS_KEY, self._applied_key], args=args)
        except CacheUnavailable:
            return False
        self._unsent = None
        self._known.update(deltas)
        return True


def _parse(raw: Mapping[bytes | str, bytes | str]) -> Counter[str]:
    """Fields this version cannot read are left out, not fatal; totals() ignores the ones
    it does not know. Replies are bytes, or str from a client that decodes them."""
    counts: Counter[str] = Counter()
    for name, value in raw.items():
        with contextlib.suppress(ValueError):
            field = name.decode(errors="replace") if isinstance(name, bytes) else name
            counts[field] = int(value)
    return counts
