"""Every process's last good copies hear every write: one subscription to the copies channel.

The write script publishes each entry it stores, and each purge, on one channel
(cache.py, copy_messages.py); every process subscribes once and hands what it hears to
its keeper (FallbackCache), which keeps it under the rules of what it reads. On a cluster
the channel is a plain one: a PUBLISH reaches every node over the cluster bus, so the
subscription may sit on any node, and moves to another when its node goes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

from redis.asyncio.cluster import RedisCluster

from adapters.redis.copy_messages import NotACopy, read_copy
from adapters.redis.errors import REDIS_ERRORS
from adapters.redis.keys import COPIES_CHANNEL
from adapters.redis.topology import RedisClient
from adapters.tasks import cancel_and_wait
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from ports.metrics import Metrics


class CopyKeeper(Protocol):
    async def keep_heard(self, key: str, entry: CacheEntry) -> None: ...

    async def forget_heard(self, key: str) -> None: ...


class CopiesFeed:
    """Rules:
    - one subscription per process, opened by `start()`, closed by `aclose()`;
    - a message that is not a copy (over the size bound, another shape, an envelope that
      does not decode) is dropped and counted as CORRUPT_ENTRIES; the feed goes on;
    - a dropped subscription is opened again (backing off up to `backoff_s[1]`); what was
      written meanwhile is not heard: those copies are missing until the next write."""

    def __init__(
        self,
        client: RedisClient,
        keeper: CopyKeeper,
        *,
        metrics: Metrics,
        channel: str = COPIES_CHANNEL,
        backoff_s: tuple[float, float] = (0.05, 2.0),
        poll_s: float = 1.0,
    ) -> None:
        self._client, self._keeper, self._metrics = client, keeper, metrics
        self._channel = channel
        self._backoff_s = backoff_s
        self._poll_s = poll_s
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def ready(self, timeout_s: float) -> bool:
        """Whether Redis has confirmed the subscription within `timeout_s`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout_s)
        return self._subscribed.is_set()

    async def aclose(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        delay = self._backoff_s[0]
        while True:
            with contextlib.suppress(Exception):  # the feed must outlive any one failure
                await self._listen()
            if self._subscribed.is_set():
                self._subscribed.clear()
                delay = self._backoff_s[0]
            if isinstance(self._client, RedisCluster):
                with contextlib.suppress(Exception):  # the next node to listen on
                    await self._client.nodes_manager.initialize()
            # The loop's clock on purpose, as in wakeups.py: it paces reconnects to a server.
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_s[1])

    async def _listen(self) -> None:
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            while True:
                message = await pubsub.get_message(timeout=self._poll_s)
                if message is not None:
                    await self._handle(message)
        finally:
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # unannotated before redis 8.2

    async def _handle(self, message: dict[str, Any]) -> None:
        kind, data = message.get("type"), message.get("data")
        if kind == "subscribe":
            self._subscribed.set()
        elif kind == "message" and isinstance(data, bytes):
            try:
                key, entry = read_copy(data)
            except NotACopy:
                self._metrics.incr(CounterName.CORRUPT_ENTRIES)
                return
            if entry is None:
                await self._keeper.forget_heard(key)
            else:
                await self._keeper.keep_heard(key, entry)
