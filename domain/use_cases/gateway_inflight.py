"""InFlight: one fetch per location key in this process, however many requests miss it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from domain.model.errors import UpstreamUnavailable
from domain.model.gateway_part import StoredPart
from domain.model.outcome import CacheOutcome

Found = tuple[StoredPart, CacheOutcome]


class InFlight:
    """Rules:
    - the first request to miss a key in this process claims it; the others join its
      outcome (COALESCED) instead of asking the cluster's lock themselves, so a burst
      costs one lease attempt per key per process, as on the /weather path;
    - a claim is always settled: with the part, or with the error its fetch ended in."""

    def __init__(self) -> None:
        self._claims: dict[str, asyncio.Future[Found]] = {}

    def claim(self, keys: Iterable[str]) -> tuple[list[str], dict[str, asyncio.Future[Found]]]:
        """The keys this request now fetches, and the fetches under way it joins."""
        mine: list[str] = []
        joined: dict[str, asyncio.Future[Found]] = {}
        loop = asyncio.get_running_loop()
        for key in keys:
            running = self._claims.get(key)
            if running is None:
                self._claims[key] = loop.create_future()
                mine.append(key)
            else:
                joined[key] = running
        return mine, joined

    async def join(self, key: str, running: asyncio.Future[Found]) -> dict[str, Found]:
        part, _ = await asyncio.shield(running)
        return {key: (part, CacheOutcome.COALESCED)}

    def settle(
        self, keys: Iterable[str], found: Mapping[str, Found], failures: Mapping[str, BaseException]
    ) -> None:
        for key in keys:
            claim = self._claims.pop(key, None)
            if claim is None or claim.done():
                continue
            if key in found:
                claim.set_result(found[key])
                continue
            error = failures.get(key) or UpstreamUnavailable("the fetch for this location ended")
            claim.set_exception(error)
            claim.exception()  # retrieved: no joiner may be waiting, and that is no error
