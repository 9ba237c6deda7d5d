"""Host copies: what a worker wrote while Redis was unreachable, readable by its siblings.

The host lock (lock.py) makes one worker of an instance fetch a cold city during a Redis
outage; its siblings, woken, must then find the answer somewhere but Redis. Each write
that Redis refuses is kept in a file of the run directory until the entry's TTL ends, and
a read that Redis refuses is answered from it. Files are written whole and renamed into
place, so a reader sees an old copy or a new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from adapters.shared_else_local import local_or_raise
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location
from ports.cache import LocationStore, WeatherStore
from ports.clock import Clock

# Copies whose TTL ended are removed, at most once per SWEEP_EVERY_S.
SWEEP_EVERY_S = 30.0

T = TypeVar("T")


class _Copy(msgspec.Struct, array_like=True):
    expires_at: float  # epoch seconds: every worker reads the same wall clock
    entry: CacheEntry | None = None
    location: Location | None = None


_decoder = msgspec.msgpack.Decoder(_Copy)


class HostCopies(WeatherStore, LocationStore):
    """Shared, else local (adapters/shared_else_local.py), the local side being files. Rules:
    - reads and writes go to `shared`; only those it refuses (CacheUnavailable) touch
      the copies, and the refusal still surfaces from a write;
    - a read refused is answered by a live copy, or refused as before;
    - a live copy is not replaced by an entry from an older fetch (a lower fence);
    - a delete removes the copy too (a purge must hold during an outage)."""

    def __init__(
        self,
        shared: WeatherStore,
        shared_locations: LocationStore,
        directory: Path,
        *,
        clock: Clock,
    ) -> None:
        self._shared = shared
        self._shared_locations = shared_locations
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._swept_at = self._clock.now()

    async def get(self, key: str) -> CacheEntry | None:
        return await self._shared_else_copy(self._shared.get(key), key, "entry", lambda c: c.entry)

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        try:
            await self._shared.put(key, entry, ttl_s)
        except CacheUnavailable:
            held = self._read(key, "entry")
            # A sibling's copy from a newer fetch stays (a paused fetch writing late).
            if held is None or held.entry is None or not entry.older_than(held.entry):
                self._write(key, "entry", _Copy(self._clock.now() + ttl_s, entry=entry))
            raise

    async def get_location(self, key: str) -> Location | None:
        read = self._shared_locations.get_location(key)
        return await self._shared_else_copy(read, key, "location", lambda c: c.location)

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        try:
            await self._shared_locations.put_location(key, location, ttl_s)
        except CacheUnavailable:
            self._write(key, "location", _Copy(self._clock.now() + ttl_s, location=location))
            raise

    async def _shared_else_copy(
        self, read: Awaitable[T | None], key: str, kind: str, pick: Callable[[_Copy], T | None]
    ) -> T | None:
        """`read`'s answer; while the shared side is down, the live copy's, else the outage."""
        try:
            return await read
        except CacheUnavailable as down:
            copy = self._read(key, kind)
            return local_or_raise(pick(copy) if copy else None, down)

    async def delete(self, key: str) -> None:
        self._path(key, "entry").unlink(missing_ok=True)
        await self._shared.delete(key)

    def _path(self, key: str, kind: str) -> Path:
        # Hashed: any key is a safe file name of fixed length.
        return self._directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.{kind}"

    def _read(self, key: str, kind: str) -> _Copy | None:
        copy = _load(self._path(key, kind))
        return copy if copy is not None and copy.expires_at > self._clock.now() else None

    def _write(self, key: str, kind: str, copy: _Copy) -> None:
        self._sweep_now_and_then()
        fd, temporary = tempfile.mkstemp(dir=self._directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(msgspec.msgpack.encode(copy))
            os.replace(temporary, self._path(key, kind))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _sweep_now_and_then(self) -> None:
        """Bounds the directory: one file per city written lately, while Redis was down."""
        now = self._clock.now()
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        for path in [*self._directory.glob("*.entry"), *self._directory.glob("*.location")]:
            copy = _load(path)
            if copy is None or copy.expires_at <= now:
                path.unlink(missing_ok=True)


def _load(path: Path) -> _Copy | None:
    """The copy in `path`; None when there is none, or it cannot be read (a miss)."""
    with contextlib.suppress(OSError, msgspec.DecodeError):
        return _decoder.decode(path.read_bytes())
    return None
