"""One pub/sub pattern subscription per process (one Redis node), fanned out to watchers."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from redis.asyncio import Redis

from adapters.redis.errors import REDIS_ERRORS
from adapters.redis.wakeup_channels import WakeupChannels
from adapters.tasks import cancel_and_wait
from adapters.watchers import Watchers
from ports.lock import Signal, Watch


class Wakeups:
    """Messages on `<head><key><tail>` carry a Signal value for the watchers of `key`.

    While the subscription is down, releases go unheard: so every watcher is woken with
    TIMEOUT (to re-check the cache and the lease) when it drops and when it comes back.
    """

    def __init__(
        self,
        client: Redis,
        head: str,
        tail: str = "",
        *,
        backoff_s: tuple[float, float] = (0.05, 2.0),
        poll_s: float = 1.0,
    ) -> None:
        self._client = client
        self._channels = WakeupChannels.named(head, tail)
        self._backoff_s = backoff_s
        self._poll_s = poll_s
        self._watchers = Watchers()
        self._up = asyncio.Event()
        self._settled = asyncio.Event()  # set once the first attempt to subscribe has ended
        self._task: asyncio.Task[None] | None = None

    def watch(self, key: str) -> Watch:
        self._ensure_started()
        return self._watchers.watch(key)

    async def ready(self, timeout_s: float, key: str | None = None) -> None:
        """Wait (at most `timeout_s`) for the first attempt to subscribe to end, either way.
        The one pattern covers every key."""
        self._ensure_started()
        if not self._settled.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), timeout_s)

    async def aclose(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def _ensure_started(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        delay = self._backoff_s[0]
        while True:
            # The reader must outlive any one failure, whatever its type.
            with contextlib.suppress(Exception):
                await self._listen()
            if self._up.is_set():
                self._up.clear()
                self._wake_all()
                delay = self._backoff_s[0]
            self._settled.set()
            # The loop's clock on purpose: it paces reconnects to a real server, as redis-py's
            # own timeouts do, so no Clock (a test's fake one) may hold it up.
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_s[1])

    async def _listen(self) -> None:
        pubsub = self._client.pubsub()
        try:
            await pubsub.psubscribe(self._channels.pattern())
            while True:
                message = await pubsub.get_message(timeout=self._poll_s)
                if message is None:
                    continue
                if message["type"] == "psubscribe":
                    self._subscribed()
                elif message["type"] == "pmessage":
                    self._dispatch(message)
        finally:
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # unannotated before redis 8.2

    def _subscribed(self) -> None:
        # The subscription is live once Redis confirms it, not when PSUBSCRIBE is sent.
        # redis-py also resubscribes by itself after a dropped connection: any confirmation
        # after the first means releases in the gap went unheard.
        if self._settled.is_set():
            self._wake_all()
        self._up.set()
        self._settled.set()

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel, data = message.get("channel"), message.get("data")
        if not isinstance(channel, bytes) or not isinstance(data, bytes):
            return
        key = self._channels.key_in(channel)
        try:
            signal = Signal(data.decode())
        except ValueError:  # UnicodeDecodeError included: not a message of ours
            return
        if key is not None:
            self._watchers.notify(key, signal)

    def _wake_all(self) -> None:
        self._watchers.notify_all(Signal.TIMEOUT)
