"""KeepParts: the gateway's fetched (or restored) parts written in one write, newest kept."""

from __future__ import annotations

from collections.abc import Mapping

from domain.model.errors import CacheUnavailable
from domain.model.gateway_part import StoredPart
from ports.clock import Clock
from ports.gateway_store import PartStore


class KeepParts:
    """Rules:
    - the parts are written in one write, each until its stale end (at least a second);
      a part already past its stale end is not written;
    - the store refuses a part from an older fetch than the one it holds (a lower fence):
      each key's answer is then the part the store kept, never the older one;
    - with the store down the parts are answered all the same, uncached."""

    def __init__(self, *, store: PartStore, clock: Clock) -> None:
        self._store, self._clock = store, clock

    async def __call__(self, parts: Mapping[str, StoredPart]) -> dict[str, StoredPart]:
        """Each key's part as the store now holds it (or as given, when not written)."""
        now = self._clock.now()
        todo = [
            (key, part, max(part.stale_until - now, 1.0))
            for key, part in parts.items()
            if part.stale_until > now
        ]
        kept = dict(parts)
        if not todo:
            return kept
        try:
            stored = await self._store.put_many(todo)
        except CacheUnavailable:
            return kept
        kept |= {key: part for (key, _, _), part in zip(todo, stored, strict=True)}
        return kept
