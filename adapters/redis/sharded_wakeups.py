"""Wake-ups on a Redis Cluster: a sharded subscription per watched city, a connection per shard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterNode, RedisCluster

from adapters.redis.wakeup_channels import WakeupChannels
from adapters.tasks import cancel_and_wait
from adapters.watchers import Watchers
from ports.lock import Signal, Watch


class ShardedWakeups:
    """Messages SPUBLISHed on `<head><key><tail>` carry a Signal for the watchers of `key`.

    Rules:
    - a key's channel is SSUBSCRIBEd while this process has watchers of it, through one
      ClusterPubSub (one connection per shard, whatever the number of watchers), and
      SUNSUBSCRIBEd when the last one leaves;
    - `ready(timeout_s, key)` returns once Redis confirmed the key's subscription (or the
      timeout passed): a release after it is heard;
    - a gap in a subscription (its shard's connection lost, a `sunsubscribe` pushed when
      the slot moved, redis-py subscribing again by itself) may have hidden a release, so
      it wakes the watchers concerned with TIMEOUT: they re-check the cache and the lease,
      and a dead holder's lease ends; a lost message costs at most one lease period.
    """

    def __init__(
        self,
        cluster: RedisCluster,
        head: str,
        tail: str,
        *,
        poll_s: float = 1.0,
        backoff_s: tuple[float, float] = (0.05, 2.0),
    ) -> None:
        self._cluster = cluster
        self._channels = WakeupChannels.named(head, tail)
        self._poll_s = poll_s
        self._backoff_s = backoff_s
        self._pubsub = cluster.pubsub()
        self._watchers = Watchers(on_last=self._let_go)
        # Keys subscribed (or being subscribed), each set once Redis has confirmed it.
        self._confirmed: dict[str, asyncio.Event] = {}
        self._unconfirmed: dict[str, int] = {}  # SSUBSCRIBEs sent, not yet confirmed
        self._leaving: dict[str, int] = {}  # SUNSUBSCRIBEs sent, not yet confirmed
        self._readers: dict[str, asyncio.Task[None]] = {}  # by shard (node name)
        self._tasks: set[asyncio.Task[None]] = set()  # held, or the loop may drop them
        self._supervisor: asyncio.Task[None] | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def watch(self, key: str) -> Watch:
        self._ensure_started()
        watch = self._watchers.watch(key)
        if key not in self._confirmed:
            self._confirmed[key] = asyncio.Event()
            _add(self._unconfirmed, key, 1)
            self._spawn(self._subscribe(key))
        return watch

    async def ready(self, timeout_s: float, key: str | None = None) -> None:
        """Wait (at most `timeout_s`) until `key`'s subscription is confirmed."""
        event = None if key is None else self._confirmed.get(key)
        if event is not None and not event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout_s)

    async def aclose(self) -> None:
        tasks = [self._supervisor, self._refreshing, *self._readers.values(), *self._tasks]
        await asyncio.gather(*(cancel_and_wait(t) for t in tasks), return_exceptions=True)
        self._supervisor = None
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()

    def _ensure_started(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _subscribe(self, key: str) -> None:
        try:
            await self._cluster.initialize()  # the slot map, if no command has read it yet
            await self._pubsub.ssubscribe(self._channels.of(key))
        except Exception:
            # Not subscribed: its waiters fall back on the lease's end; the next watch of
            # the key tries again.
            _add(self._unconfirmed, key, -1)
            event = self._confirmed.pop(key, None)
            if event is not None:
                event.set()
            self._refresh_soon()
            return
        self._start_readers()

    def _let_go(self, key: str) -> None:
        if self._confirmed.pop(key, None) is not None:
            _add(self._leaving, key, 1)
            self._spawn(self._unsubscribe(key))

    async def _unsubscribe(self, key: str) -> None:
        try:
            await self._pubsub.sunsubscribe(self._channels.of(key))
        except Exception:
            _add(self._leaving, key, -1)  # its shard is gone, and the subscription with it

    async def _supervise(self) -> None:
        # The ClusterPubSub moves channels to a new shard by itself after the slot map
        # changes: this notices the new shard's connection and reads it too.
        while True:
            self._start_readers()
            await asyncio.sleep(self._poll_s)  # the loop's clock on purpose, as in wakeups.py

    def _start_readers(self) -> None:
        for name, pubsub in tuple(self._pubsub.node_pubsub_mapping.items()):
            reader = self._readers.get(name)
            if reader is None or reader.done():
                self._readers[name] = asyncio.create_task(self._read(name, pubsub))

    async def _read(self, name: str, pubsub: PubSub) -> None:
        """Reads one shard's connection until the ClusterPubSub lets it go."""
        host, _, port = name.rpartition(":")
        node = ClusterNode(host, int(port))  # only its name is used, to find the shard
        delay = self._backoff_s[0]
        while self._pubsub.node_pubsub_mapping.get(name) is pubsub:
            if pubsub.connection is None:
                # Not subscribed yet (a new shard owner) or closed by redis-py: a poll
                # returns at once, awaiting nothing, and polling again would starve the
                # task that connects it, and every request (issue 25).
                await asyncio.sleep(self._backoff_s[0])
                continue
            try:
                message = await self._pubsub.get_sharded_message(
                    target_node=node, timeout=self._poll_s
                )
            except Exception:  # the reader must outlive any one failure, whatever its type
                self._shard_lost()
                await asyncio.sleep(delay)  # the loop's clock on purpose, as in wakeups.py
                delay = min(delay * 2, self._backoff_s[1])
                continue
            delay = self._backoff_s[0]
            if message is not None:
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        kind, channel, data = message.get("type"), message.get("channel"), message.get("data")
        if not isinstance(channel, bytes):
            return
        key = self._channels.key_in(channel)
        if key is None:
            return
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "smessage" and isinstance(data, bytes):
            with contextlib.suppress(ValueError):  # not a Signal: not a message of ours
                self._watchers.notify(key, Signal(data.decode()))
        elif kind == "ssubscribe":
            self._subscribed(key)
        elif kind == "sunsubscribe":
            self._unsubscribed(key)

    def _subscribed(self, key: str) -> None:
        if self._unconfirmed.get(key, 0) > 0:
            _add(self._unconfirmed, key, -1)
            if self._unconfirmed.get(key, 0) > 0:
                return
        else:
            # redis-py subscribed again by itself (a new connection, a new shard):
            # releases in the gap went unheard.
            self._watchers.notify(key, Signal.TIMEOUT)
        event = self._confirmed.get(key)
        if event is not None:
            event.set()

    def _unsubscribed(self, key: str) -> None:
        if self._leaving.get(key, 0) > 0:
            _add(self._leaving, key, -1)
            return
        # Pushed by Redis: the slot moved to another shard. redis-py subscribes on the new
        # owner once it has read the new slot map; until then nothing is heard.
        self._watchers.notify(key, Signal.TIMEOUT)
        event = self._confirmed.get(key)
        if event is not None:
            event.clear()
        self._refresh_soon()

    def _shard_lost(self) -> None:
        # Which keys the shard held is the ClusterPubSub's business: wake every watcher.
        self._watchers.notify_all(Signal.TIMEOUT)
        self._refresh_soon()

    def _refresh_soon(self) -> None:
        """Re-read the slot map: the ClusterPubSub then moves channels to their new shard."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh())

    async def _refresh(self) -> None:
        with contextlib.suppress(Exception):
            await self._cluster.nodes_manager.initialize()
        self._start_readers()


def _add(counts: dict[str, int], key: str, amount: int) -> None:
    count = counts.get(key, 0) + amount
    if count > 0:
        counts[key] = count
    else:
        counts.pop(key, None)
