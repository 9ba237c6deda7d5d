"""Redis gateway store: one key per location, a request's locations read in one MGET."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.lru import BoundedLru
from adapters.redis.batch import BatchedGets
from adapters.redis.breaker import RedisBreaker, guard_of
from adapters.redis.decoding import decoded_or_miss
from adapters.redis.gateway_envelope import decode_part, encode_part
from adapters.redis.gateway_fence import PUT_FENCED
from adapters.redis.keys import city_name
from adapters.redis.topology import RedisClient
from domain.model.gateway_part import MAX_PART_BYTES, StoredPart
from ports.gateway_store import Keep, PartStore
from ports.metrics import Metrics


def part_name(key: str) -> str:
    """The key's own hash slot, like a city's: its part, lease and wake-up channel live on
    one shard. Gateway keys are digests (letters, digits and ':'), never braces."""
    return city_name(key, "part")


def _size(part: StoredPart) -> int:
    return len(part.body)


def _px(ttl_s: float) -> int:
    # PX 0 is an error in Redis; the shortest TTL asked for is one millisecond.
    return max(round(ttl_s * 1000), 1)


class RedisPartStore(PartStore):
    """Unreadable values are misses, counted as CORRUPT_ENTRIES on `metrics` when given.
    Every answer read or written is also kept in a bounded in-process copy (last_good).
    A write is refused by Redis itself when the part stored comes from a newer fetch."""

    def __init__(
        self,
        client: RedisClient,
        *,
        metrics: Metrics | None = None,
        breaker: RedisBreaker | None = None,
        last_good_items: int = 2_000,
        last_good_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._client = client
        self._gets = BatchedGets(client)
        self._metrics = metrics
        self._guarded = guard_of(breaker)  # while Redis is down, no call waits on it
        self._good: BoundedLru[StoredPart] = BoundedLru(last_good_items, last_good_bytes, _size)

    async def get_many(self, keys: Sequence[str]) -> list[StoredPart | None]:
        if not keys:
            return []
        names = [part_name(key) for key in keys]
        # Batched: the reads of every request in this loop turn go out as one MGET (on a
        # cluster one per shard, sent together), so a burst on one query is one round trip.
        with self._guarded("MGET"):
            raw = await self._gets.get_many(names)
        parts = [decoded_or_miss(value, decode_part, self._metrics) for value in raw]
        for key, part in zip(keys, parts, strict=True):
            self._remember(key, part)
        return parts

    async def put(self, key: str, part: StoredPart, ttl_s: float) -> StoredPart:
        (kept,) = await self.put_many([(key, part, ttl_s)])
        return kept

    async def put_many(self, parts: Sequence[Keep]) -> list[StoredPart]:
        kept = [part for _, part, _ in parts]
        todo = [(n, key, part, ttl_s) for n, (key, part, ttl_s) in enumerate(parts)]
        todo = [item for item in todo if len(item[2].body) <= MAX_PART_BYTES]
        for _, key, part, _ in todo:
            self._remember(key, part)
        if not todo:
            return kept
        pipe = self._client.pipeline(transaction=False)
        for _, key, part, ttl_s in todo:
            pipe.eval(PUT_FENCED, 1, part_name(key), encode_part(part), part.fence, _px(ttl_s))
        with self._guarded("SET"):
            refusals = await pipe.execute()
        for (n, key, _, _), held in zip(todo, refusals, strict=True):
            newer = None if held is None else decoded_or_miss(held, decode_part, self._metrics)
            if newer is not None:
                kept[n] = newer
                self._remember(key, newer)
        return kept

    def _remember(self, key: str, part: StoredPart | None) -> None:
        if part is not None and part.status == 200 and part.replaces(self._good.get(key)):
            self._good.put(key, part)

    def last_good(self, key: str) -> StoredPart | None:
        return self._good.get(key)
