"""Batched GETs: the reads one process issues in the same event-loop turn share one MGET.

On a busy server the cost of a Redis hit is mostly the socket write and read around it,
not Redis: concurrent GETs cost several times more CPU each one by one than as one MGET
(docs/BENCHMARKS.md, "What keeps a hit cheap"). A lone read is still a plain GET, sent
one loop turn later than it would have been. On a Redis Cluster one MGET may not cross
slots: the batch goes out as one MGET per slot instead (redis-py's mget_nonatomic,
pipelined per shard).
"""

from __future__ import annotations

import asyncio

from redis.asyncio.cluster import RedisCluster

from adapters.redis.topology import RedisClient

_Waiter = tuple[str, "asyncio.Future[bytes | None]"]


class BatchedGets:
    """Rules:
    - get() answers exactly what GET would have (bytes or None), for its own key;
    - reads made before the loop runs its next callbacks go out together, as one MGET;
    - an error of the batch is raised to each of its callers (they map it as they would);
    - a caller that stops waiting (cancelled) does not disturb the others.
    """

    def __init__(self, client: RedisClient) -> None:
        self._client = client
        self._cluster = client if isinstance(client, RedisCluster) else None
        self._waiting: list[_Waiter] = []
        self._sending: set[asyncio.Task[None]] = set()  # held, or the loop may drop them

    def get(self, name: str) -> asyncio.Future[bytes | None]:
        """GET's answer, to await: the future itself, not a coroutine around it (one frame
        less on every hit)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes | None] = loop.create_future()
        self._waiting.append((name, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._send_waiting)
        return future

    async def get_many(self, names: list[str]) -> list[bytes | None]:
        """Like get() for each name, in order: one request's names join the same batch."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[bytes | None]] = [loop.create_future() for _ in names]
        first = not self._waiting
        self._waiting.extend(zip(names, futures, strict=True))
        if first and self._waiting:
            loop.call_soon(self._send_waiting)
        return list(await asyncio.gather(*futures))

    def _send_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Waiter]) -> None:
        try:
            if len(batch) == 1:
                values = [await self._client.get(batch[0][0])]
            elif self._cluster is not None:
                values = await self._cluster.mget_nonatomic([name for name, _ in batch])
            else:
                values = await self._client.mget([name for name, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), value in zip(batch, values, strict=True):
            if not future.done():
                future.set_result(_as_bytes(value))


def _as_bytes(value: bytes | str | None) -> bytes | None:
    # redis-py types replies bytes | str: str only under decode_responses=True, which
    # create_redis_client never sets; a client that does would still read as GET's bytes.
    return value.encode() if isinstance(value, str) else value
