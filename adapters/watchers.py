"""Watchers: the waiters of each key in this process, woken with the Signal of a release.

Both locks fan a release out through it: the in-memory lock directly, the Redis lock from
its one pub/sub subscription (redis/wakeups.py) or, on a cluster, from its per-city
sharded subscriptions (redis/sharded_wakeups.py), which `on_last` lets go. It lives
outside both adapter packages so that neither imports the other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ports.lock import Signal, Watch


class _Watch(Watch):
    def __init__(self, watchers: Watchers, key: str) -> None:
        self._watchers = watchers
        self._key = key
        self._signals: asyncio.Queue[Signal] = asyncio.Queue()

    def notify(self, signal: Signal) -> None:
        self._signals.put_nowait(signal)

    async def wait(self, timeout_s: float) -> Signal:
        # A signal already queued is returned even when no time is left.
        with contextlib.suppress(asyncio.QueueEmpty):
            return self._signals.get_nowait()
        try:
            return await asyncio.wait_for(self._signals.get(), max(timeout_s, 0.0))
        except TimeoutError:
            return Signal.TIMEOUT

    def close(self) -> None:
        self._watchers.forget(self._key, self)


class Watchers:
    """Per key, the open watches; a closed watch is forgotten, and an empty key with it
    (`on_last(key)` is then called)."""

    def __init__(self, on_last: Callable[[str], None] | None = None) -> None:
        self._watches: dict[str, set[_Watch]] = {}
        self._on_last = on_last

    def watch(self, key: str) -> Watch:
        watch = _Watch(self, key)
        self._watches.setdefault(key, set()).add(watch)
        return watch

    def forget(self, key: str, watch: _Watch) -> None:
        watches = self._watches.get(key)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del self._watches[key]
                if self._on_last is not None:
                    self._on_last(key)

    def notify(self, key: str, signal: Signal) -> None:
        for watch in tuple(self._watches.get(key, ())):
            watch.notify(signal)

    def notify_all(self, signal: Signal) -> None:
        for watches in tuple(self._watches.values()):
            for watch in tuple(watches):
                watch.notify(signal)
