"""The gateway's per-location store: the upstream's bytes for one location, by key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.model.gateway_part import StoredPart

Keep = tuple[str, StoredPart, float]  # a key, its part, and how long to keep it (s)


class PartStore(Protocol):
    """Implementations raise domain.model.errors.CacheUnavailable when the backend is down,
    and treat an unreadable value (garbage, another version) as a miss. Neither the store
    nor its last good copies let a part replace one from a newer fetch
    (StoredPart.replaces)."""

    async def get_many(self, keys: Sequence[str]) -> list[StoredPart | None]:
        """Each key's part, in the keys' order, in one read; None where there is none."""
        ...

    async def put(self, key: str, part: StoredPart, ttl_s: float) -> StoredPart:
        """Keep `part` for `ttl_s`; a part above MAX_PART_BYTES is not kept. The part the
        store now holds for `key`: `part`, or the newer one it kept instead."""
        ...

    async def put_many(self, parts: Sequence[Keep]) -> list[StoredPart]:
        """put() for each, in one write, each decided on its own; in the parts' order."""
        ...

    def last_good(self, key: str) -> StoredPart | None:
        """The last answer (status 200) this process saw for `key`, even one the backend
        no longer holds, never replaced by one from an older fetch; never does I/O."""
        ...
