"""Host lock: a lease per key in a file that every worker of this instance shares.

The fallback while the Redis lock is unreachable (adapters/resilience/fallback_lock.py):
the workers of one instance then still agree on one fetch per city. A file holds the
holder's token, the lease's expiry on the host's monotonic clock (CLOCK_MONOTONIC is one
clock for every process of a Linux host), and the id and Signal of the last release. A
dead holder's lease lapses at its expiry, like a Redis one. Waiters have no pub/sub: a
watch polls the file for a new release id, every POLL_S. Files of idle keys are swept in
a thread: walking thousands of them must never hold up the requests on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from adapters.host.lease_files import LeaseFiles
from adapters.lease import BoundLease
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Signal, Watch

POLL_S = 0.025
# Files of keys nobody held for this long are removed, at most once per SWEEP_EVERY_S.
IDLE_FILE_S = 60.0
SWEEP_EVERY_S = 30.0
_NOBODY = "-"


@dataclass(frozen=True, slots=True)
class _State:
    holder: str = _NOBODY
    expires_at: float = 0.0
    released: str = _NOBODY  # the last release's id: a watch waits for it to change
    signal: str = Signal.TIMEOUT.value

    @classmethod
    def parse(cls, text: str) -> _State:
        parts = text.split()
        if len(parts) != 4:
            return cls()  # a new file, or one cut short by a crash: nobody holds it
        try:
            return cls(parts[0], float(parts[1]), parts[2], parts[3])
        except ValueError:
            return cls()

    def __str__(self) -> str:
        return f"{self.holder} {self.expires_at!r} {self.released} {self.signal}"

    def held_at(self, now: float) -> bool:
        return self.holder != _NOBODY and self.expires_at > now


class HostLock(Lock):
    def __init__(self, directory: Path, *, clock: Clock) -> None:
        self._files = LeaseFiles(directory)
        self._clock = clock
        self._swept_at = self._clock.monotonic()
        self._sweeping: asyncio.Task[None] | None = None

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        self._sweep_now_and_then()
        path = self._files.path_of(key)
        with self._files.locked(path) as fd:
            state = _State.parse(self._files.text(fd))
            now = self._clock.monotonic()
            if state.held_at(now):
                return Held(ttl_s=state.expires_at - now)
            token = secrets.token_hex(8)
            self._files.write(fd, str(_State(token, now + ttl_s, state.released, state.signal)))
        return BoundLease(
            extend=functools.partial(self._extend, path, token, ttl_s),
            release=functools.partial(self._release, path, token),
        )

    def watch(self, key: str) -> Watch:
        path = self._files.path_of(key)
        return _PollingWatch(self._files, path, _State.parse(self._files.read(path)).released)

    async def _extend(self, path: Path, token: str, ttl_s: float) -> bool:
        with self._files.locked(path) as fd:
            state = _State.parse(self._files.text(fd))
            now = self._clock.monotonic()
            if state.holder != token or not state.held_at(now):
                return False
            self._files.write(fd, str(_State(token, now + ttl_s, state.released, state.signal)))
            return True

    async def _release(self, path: Path, token: str, signal: Signal) -> None:
        with self._files.locked(path) as fd:
            if _State.parse(self._files.text(fd)).holder != token:
                return  # lapsed, maybe taken by another: not ours to release or announce
            self._files.write(fd, str(_State(released=secrets.token_hex(8), signal=signal.value)))

    def _sweep_now_and_then(self) -> None:
        """Bounds the directory: one file per key used lately, not per key ever seen.
        Started, never awaited: the sweep runs in a thread while requests go on."""
        if self._clock.monotonic() - self._swept_at < SWEEP_EVERY_S:
            return
        if self._sweeping is not None and not self._sweeping.done():
            return
        self._swept_at = self._clock.monotonic()
        self._sweeping = asyncio.create_task(asyncio.to_thread(self._sweep))

    async def sweep_done(self) -> None:
        """Wait for a sweep in progress, if any (shutdown, tests)."""
        if self._sweeping is not None:
            await self._sweeping

    def _sweep(self) -> None:
        for path in self._files.paths():
            try:
                with self._files.locked(path, create=False) as fd:
                    # time.time on purpose: the kernel stamps st_mtime on the host's real clock.
                    idle_s = time.time() - os.fstat(fd).st_mtime
                    state = _State.parse(self._files.text(fd))
                    if idle_s > IDLE_FILE_S and not state.held_at(self._clock.monotonic()):
                        path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue  # another worker swept it first


class _PollingWatch(Watch):
    """Hears the releases that follow its creation, by reading the key's file."""

    def __init__(self, files: LeaseFiles, path: Path, seen: str) -> None:
        self._files = files
        self._path = path
        self._seen = seen
        self._closed = False

    async def wait(self, timeout_s: float) -> Signal:
        # The loop's clock on purpose: a watch's timeout is an asyncio one in every lock.
        deadline = asyncio.get_running_loop().time() + max(timeout_s, 0.0)
        while True:
            if not self._closed:
                state = _State.parse(self._files.read(self._path))
                if state.released not in (self._seen, _NOBODY):
                    self._seen = state.released
                    return Signal(state.signal)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return Signal.TIMEOUT
            await asyncio.sleep(min(POLL_S, remaining))

    def close(self) -> None:
        self._closed = True
