"""The gateway's per-location store: the upstream's bytes for one location, by key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.model.gateway_part import StoredPart


class PartStore(Protocol):
    """Implementations raise domain.model.errors.CacheUnavailable when the backend is down,
    and treat an unreadable value (garbage, another version) as a miss."""

    async def get_many(self, keys: Sequence[str]) -> list[StoredPart | None]:
        """Each key's part, in the keys' order, in one read; None where there is none."""
        ...

    async def put(self, key: str, part: StoredPart, ttl_s: float) -> None:
        """Keep `part` for `ttl_s`; a part above MAX_PART_BYTES is not kept."""
        ...

    def last_good(self, key: str) -> StoredPart | None:
        """The last answer (status 200) this process saw for `key`, even one the backend
        no longer holds; never does I/O."""
        ...
