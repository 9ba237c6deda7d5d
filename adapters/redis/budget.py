"""The same sliding windows in Redis, so that every worker and instance shares them.

Written as one Lua script rather than with the `limits` library: a call must be checked
against every window (minute, hour, day) and counted in all of them or in none, at a
ceiling that depends on its priority, and refused with the time until it would fit;
`limits` checks one window per round trip, counts a refused second window's first one
anyway (a moving window cannot be given back), and keys each limit by its size, so the
priorities' ceilings could not share a count. All the state of one name is one hash
(adapters/redis/budget_scripts.py): on a Redis Cluster each script touches one slot.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from adapters.redis.budget_scripts import CLOSE, REFUND, SPEND
from adapters.redis.budget_windows import Ceiling, Closure, Mine, Verdict
from adapters.redis.errors import unavailable_on_error
from adapters.redis.keys import BUDGET_PREFIX
from adapters.redis.topology import RedisClient


@dataclass(frozen=True, slots=True)
class Ask:
    """One call's question: the `shared` ceilings, and this worker's `own` (its share of
    the same windows) with what it has spent of them (`mine`) and how many `shares`."""

    shared: tuple[Ceiling, ...]
    own: tuple[Ceiling, ...]
    mine: Mine
    shares: int


class RedisWindows:
    """LocalWindows' twin (same rules, same answers), its state in Redis.

    A worker's first call on a name since its keys were made puts back what the worker
    has spent (its `Mine`): a FLUSHDB or a restart empty forgets no worker's spend for
    longer than that worker's next call. With `settle`, until every one of the `shares`
    workers has done so (at most one shortest window), each spends only its share."""

    def __init__(
        self,
        client: RedisClient,
        *,
        probe_every_s: float,
        prefix: str = BUDGET_PREFIX,
        settle: bool = True,
    ) -> None:
        self._client = client
        self._probe_every_s = probe_every_s
        self._prefix = prefix
        self._settle = settle
        self._worker = secrets.token_hex(8)
        self._spend = client.register_script(SPEND)
        self._refund = client.register_script(REFUND)
        self._close = client.register_script(CLOSE)

    def _key(self, name: str) -> str:
        return f"{self._prefix}{{{name}}}:windows"

    async def spend(self, name: str, ask: Ask, now: float, cost: int = 1) -> Verdict:
        closure = ask.mine.closure or Closure(0.0, 0.0)
        args: list[str | int | float] = [
            repr(now), cost, repr(self._probe_every_s), self._worker, ask.shares,
            int(self._settle), repr(closure.until), repr(closure.probe_at),
        ]  # fmt: skip
        for c, own, buckets in zip(ask.shared, ask.own, ask.mine.buckets, strict=True):
            args += [
                c.limit.label,
                repr(c.limit.period_s),
                repr(c.bucket_s),
                c.ceiling,
                own.ceiling,
            ]
            args += [len(buckets), *(n for pair in buckets for n in pair)]
        with unavailable_on_error("budget script"):
            granted, probe, wait = await self._spend(keys=[self._key(name)], args=args)
        return Verdict(bool(granted), probe=bool(probe), wait_s=float(wait))

    async def refund(
        self, name: str, ceilings: tuple[Ceiling, ...], at: float, cost: int = 1
    ) -> None:
        args: list[str | int | float] = [repr(at), cost]
        for c in ceilings:
            args += [c.limit.label, repr(c.bucket_s)]
        with unavailable_on_error("budget refund"):
            await self._refund(keys=[self._key(name)], args=args)

    async def close(self, name: str, until: float, now: float) -> None:
        closure_ms = max(math.ceil((until - now) * 1000), 1000)
        args: list[str | int] = [repr(until), repr(now + self._probe_every_s), closure_ms]
        with unavailable_on_error("budget close"):
            await self._close(keys=[self._key(name)], args=args)

    async def reopen(self, name: str) -> None:
        with unavailable_on_error("budget reopen"):
            await self._client.hdel(self._key(name), "until", "probe_at")
