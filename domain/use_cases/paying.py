"""FetchPayer: which client pays for an upstream fetch, and when it is given back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from domain.model.admission import UpstreamCall
from ports.budget import MissBudget


class FetchPayer:
    """Rules:
    - a fetch is charged to the client whose read starts it, before any lease is taken,
      so a client over its budget (TooManyMisses) costs no lease and no lock file;
    - a request that joins a fetch of this process in flight (`joining`) pays nothing,
      nor does one that arrives while another request's charge for the key is being
      taken: it waits for that charge, then joins the fetch it admitted;
    - the charge is given back when none of the fetch's calls reached the upstream (our
      budget refused them, no free call slot, another worker's fetch answered), unless
      the client left before the fetch ended.
    """

    def __init__(self, misses: MissBudget | None) -> None:
        self._misses = misses
        self._charging: dict[str, asyncio.Future[None]] = {}

    @contextlib.asynccontextmanager
    async def fetch(
        self, key: str, client: str | None, joining: Callable[[], bool], call: UpstreamCall
    ) -> AsyncIterator[None]:
        """Around the fetch of `key`, whose upstream calls `call` counts: the context must
        start it at once (no await before the fetch is in flight), so that requests waiting
        on this charge can join it."""
        misses = self._misses
        if client is None or misses is None:
            yield
            return
        taken_at = await self._charge(misses, key, client, joining)
        left = False
        try:
            yield
        except asyncio.CancelledError:
            # The client left; the fetch it started goes on (shielded) and may yet
            # be sent: it stays paid, or leaving early would make every fetch free.
            left = True
            raise
        finally:
            if taken_at is not None and not call.sent and not left:
                await misses.refund(client, taken_at)

    async def _charge(
        self, misses: MissBudget, key: str, client: str, joining: Callable[[], bool]
    ) -> float | None:
        while True:
            if joining():
                return None
            pending = self._charging.get(key)
            if pending is None:
                break
            await asyncio.shield(pending)  # then look again: admitted, or refused
        done = asyncio.get_running_loop().create_future()
        self._charging[key] = done
        try:
            return await misses.take(client)
        finally:
            del self._charging[key]
            done.set_result(None)  # its waiters run once the fetch it admitted is in flight
